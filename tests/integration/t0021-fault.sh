#!/bin/sh
# labctl fault: a cut portal breaks the lab's checks, restore mends them,
# down mends a cut that is still there; a rule of someone else's on the
# disk node stays as it was; bad arguments are refused naming what is wrong.
# stop-target takes the lab's tgt target offline and start-target serves it
# again (the libiscsi host logs in again by itself); another target of the
# same tgtd, and one someone else took offline, are left as they were.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t21 "$(subnet_for 21)"
h=$(lab_hash t21)
ns=labctl-$h-disks
portal=10.231.21.10:3260
journal=$tmp/.labctl/t21/journal.jsonl

run "fault on a lab that is not up is refused" 1 "$labctl" fault "$spec" cut disks
has "it says so" "lab 't21' is not up" "$tmp/out"
run "up" 0 "$labctl" up "$spec"

# someone's own rules on the disk node, to be kept byte for byte
ip netns exec "$ns" iptables -A INPUT -p tcp --dport 9999 -m comment --comment someone -j ACCEPT
ip netns exec "$ns" iptables -A INPUT -p tcp --dport 3260 -s 192.0.2.1 -j DROP
rules() { ip netns exec "$ns" iptables -S INPUT; }
rules >"$tmp/rules.before"

run "nothing is cut yet" 0 "$labctl" fault "$spec" list
has "list says so" "lab 't21': no fault in place" "$tmp/out"
run "cut the disk's portal" 0 "$labctl" fault "$spec" cut disks
has "it names the portal" "portal $portal cut" "$tmp/out"
matches "the rule is in the disk's iptables, tagged" "^-A INPUT -d 10.231.21.10/32 -p tcp -m tcp --dport 3260 -m comment --comment \"?labctl-fault:t21\"? -j DROP" \
	"$(rules >"$tmp/rules.cut"; echo "$tmp/rules.cut")"
run "cut again" 0 "$labctl" fault "$spec" cut "disks:$portal"
has "it is cut already" "portal $portal cut already" "$tmp/out"
test "$(grep -c '"type":"task".*"key":"fault:' "$journal")" = 1 &&
	ok "the journal holds the cut once" || { grep fault "$journal" >"$tmp/why"; not_ok "the journal holds the cut once"; }
run "list" 0 "$labctl" fault --json "$spec" list
has "it lists the cut" '"portal" : "10.231.21.10:3260"' "$tmp/out"
has "as labctl-fault/1" '"format" : "labctl-fault/1"' "$tmp/out"
t0=$(date +%s)
run "check fails while the portal is cut" 1 timeout 300 "$labctl" check "$spec"
echo "# check failed after $(($(date +%s) - t0)) s"
run "restore" 0 "$labctl" fault "$spec" restore disks
has "it names what it restored" "portal $portal restored" "$tmp/out"
rules >"$tmp/rules.after"
if diff -u "$tmp/rules.before" "$tmp/rules.after" >"$tmp/why"; then
	ok "restore took only the lab's rule: the disk's rules are as they were"
else
	not_ok "restore took only the lab's rule: the disk's rules are as they were"
fi
run "restore again" 0 "$labctl" fault "$spec" restore disks
has "nothing to restore" "no fault to restore" "$tmp/out"
run "check passes again" 0 timeout 300 "$labctl" check "$spec"

# bad arguments, each refused before anything is done
run "a host is no disk" 2 "$labctl" fault "$spec" cut host
has "it says so" "'host' is not a disk node of lab 't21'" "$tmp/out"
run "a portal the disk does not have" 2 "$labctl" fault "$spec" cut disks:10.9.9.9:3260
has "it says so" "node 'disks' has no portal 10.9.9.9:3260" "$tmp/out"
run "an action labctl does not know" 2 "$labctl" fault "$spec" unplug disks
has "it says so" "no action 'unplug' (cut, restore, stop-target, start-target, list)" "$tmp/out"
run "stop-target takes no portal" 2 "$labctl" fault "$spec" stop-target "disks:$portal"
has "it says so" "stop-target takes a disk node, not a portal" "$tmp/out"
run "stop-target of a host" 2 "$labctl" fault "$spec" stop-target host
has "it says so" "'host' is not a disk node of lab 't21'" "$tmp/out"
rules >"$tmp/rules.after"
diff -u "$tmp/rules.before" "$tmp/rules.after" >"$tmp/why" && ok "the refusals changed no rule" || not_ok "the refusals changed no rule"

# stop-target and start-target, beside a target of someone else's in the
# same tgtd: tid 7, one LUN of its own; its state and its LUN's image are
# compared before and after
iqn=iqn.2016-06.com.iscsi-disks:iscsi-disks
tgt() { "$labctl" ssh "$spec" disks tgtadm --lld iscsi "$@"; }
login() { "$labctl" ssh "$spec" host timeout 10 iscsi-ls -s -i iqn.2016-06.com.iscsi-host:iscsi-host iscsi://10.231.21.10/; }
state_of() { tgt --mode target --op show | awk -v t="Target $1:" '/^Target / { hit = index($0, t) == 1 } hit && $1 == "State:" { print $2; exit }'; }
lab_tid=$(tgt --mode target --op show | awk -v iqn=$iqn '/^Target [0-9]+: / && $3 == iqn { print $2 + 0 }')
truncate -s 16M "$tmp/someone.img"
printf 'someone else\n' | dd of="$tmp/someone.img" conv=notrunc status=none
tgt --mode target --op new --tid 7 -T iqn.2026-12.org.someone:keep
tgt --mode logicalunit --op new --tid 7 --lun 1 -b "$tmp/someone.img"
sum_before=$(sha256sum <"$tmp/someone.img")
run "stop-target" 0 "$labctl" fault "$spec" stop-target disks
has "it names the target" "target $iqn stopped" "$tmp/out"
test "$(state_of "$lab_tid")" = offline && ok "the lab's target is offline" ||
	{ tgt --mode target --op show >"$tmp/why"; not_ok "the lab's target is offline"; }
test "$(state_of 7)" = ready && ok "someone's target is still ready" ||
	{ tgt --mode target --op show >"$tmp/why"; not_ok "someone's target is still ready"; }
run "stop-target again" 0 "$labctl" fault "$spec" stop-target disks
has "it is stopped already" "target $iqn stopped already" "$tmp/out"
run "list" 0 "$labctl" fault --json "$spec" list
has "it lists the stopped target" '"target" : "iqn.2016-06.com.iscsi-disks:iscsi-disks"' "$tmp/out"
t0=$(date +%s)
run "check fails while the target is stopped" 1 timeout 300 "$labctl" check "$spec"
echo "# check failed after $(($(date +%s) - t0)) s"
has "it says which check failed" "failed" "$tmp/out"
grep -i "fail\|error" "$tmp/out" | head -4 | sed 's/^/# /'
if login >"$tmp/why" 2>&1; then not_ok "a new login is refused"; else ok "a new login is refused"; fi
run "start-target" 0 "$labctl" fault "$spec" start-target disks
has "it names the target" "target $iqn started" "$tmp/out"
test "$(state_of "$lab_tid")" = ready && ok "the lab's target is ready again" ||
	{ tgt --mode target --op show >"$tmp/why"; not_ok "the lab's target is ready again"; }
run "start-target again" 0 "$labctl" fault "$spec" start-target disks
has "nothing to start" "no target this lab stopped" "$tmp/out"
if login >"$tmp/why" 2>&1; then ok "a new login passes again"; else not_ok "a new login passes again"; fi
t0=$(date +%s)
run "check passes after start-target: the host logged in again" 0 timeout 300 "$labctl" check "$spec"
echo "# check passed after $(($(date +%s) - t0)) s"
# a target someone else took offline is neither journaled nor started
tgt --mode target --op update --tid "$lab_tid" --name state --value offline
run "stop-target of a target offline already" 0 "$labctl" fault "$spec" stop-target disks
has "it says so" "target $iqn stopped already" "$tmp/out"
run "start-target leaves it" 0 "$labctl" fault "$spec" start-target disks
has "it says it did not stop it" "no target this lab stopped" "$tmp/out"
test "$(state_of "$lab_tid")" = offline && ok "it is still offline" || not_ok "it is still offline"
tgt --mode target --op update --tid "$lab_tid" --name state --value ready
test "$(state_of 7)" = ready && ok "someone's target was never stopped" || not_ok "someone's target was never stopped"
test "$(sha256sum <"$tmp/someone.img")" = "$sum_before" && ok "someone's LUN is byte for byte the same" ||
	not_ok "someone's LUN is byte for byte the same"
tgt --mode target --op delete --tid 7

# a fault that is still there when the lab goes: down mends it first
run "cut before down" 0 "$labctl" fault "$spec" cut disks
run "stop-target before down" 0 "$labctl" fault "$spec" stop-target disks
run "down" 0 "$labctl" down "$spec"
has "down restored the cut" "fault: portal $portal cut" "$tmp/out"
has "down started the target" "fault: target $iqn stopped" "$tmp/out"
no_residue "nothing of the lab is left"
finish
