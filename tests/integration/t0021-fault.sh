#!/bin/sh
# labctl fault: a cut portal breaks the lab's checks, restore mends them,
# down mends a cut that is still there; a rule of someone else's on the
# disk node stays as it was; bad arguments are refused naming what is wrong.
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
has "it says so" "no action 'unplug' (cut, restore, list)" "$tmp/out"
rules >"$tmp/rules.after"
diff -u "$tmp/rules.before" "$tmp/rules.after" >"$tmp/why" && ok "the refusals changed no rule" || not_ok "the refusals changed no rule"

# a cut that is still there when the lab goes: down mends it first
run "cut before down" 0 "$labctl" fault "$spec" cut disks
run "down" 0 "$labctl" down "$spec"
has "down restored the cut" "fault: portal $portal cut" "$tmp/out"
no_residue "nothing of the lab is left"
finish
