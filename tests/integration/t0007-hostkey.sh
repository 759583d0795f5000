#!/bin/sh
# A node whose host key changed is refused: an impostor sshd with another
# key on the disk node's address is not talked to.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t7 "$(subnet_for 7)"
run "up" 0 "$labctl" up "$spec"
state=$tmp/.labctl/t7
hash=$(printf '%s' "$state" | sha256sum | cut -c1-8)
ns=labctl-$hash-disks
rt=/var/lib/labctl/netns/$hash/disks
# swap the real sshd for one with a new host key (same config otherwise)
kill "$(cat "$rt/sshd.pid")"
sleep 0.3
ssh-keygen -q -t ed25519 -N '' -f "$tmp/impostor_key"
sed "s|^HostKey .*|HostKey $tmp/impostor_key|; s|^PidFile .*|PidFile $tmp/impostor.pid|" "$rt/sshd_config" >"$tmp/impostor_config"
ip netns exec "$ns" /usr/sbin/sshd -f "$tmp/impostor_config" -E "$tmp/impostor.log"
sleep 0.3
run "status still works" 0 "$labctl" status "$spec"
has "status refuses the changed key" "HOST KEY CHANGED" "$tmp/out"
run "down refuses to talk to the impostor" 1 "$labctl" down "$spec"
has "down says why" "HOST KEY CHANGED" "$tmp/out"
# the impostor holds port 22: down cannot start the node's own sshd again
tgtd_pids=$(pids_in "$ns" tgtd)
run "down --force goes on past the failures" 1 "$labctl" down --force "$spec"
matches "it lists each failure" "disks: start tgtd on .*: undo failed" "$tmp/out"
matches "it keeps them in the journal" "is partly down: [0-9]+ undos failed \(listed above\) and stay in the journal" "$tmp/out"
matches "and keeps the disk node, to reach it later" "kept +network namespace labctl-$hash-disks" "$tmp/out"
matches "the host's own undos ran" "undone +network namespace labctl-$hash-host" "$tmp/out"
if test -n "$(pids_in "$ns" tgtd)"; then ok "the disk node's tgtd is still there"; else not_ok "the disk node's tgtd is still there"; fi
run "status" 0 "$labctl" status "$spec"
has "status lists what failed and is left" "undos that failed at the last down" "$tmp/out"
matches "with each undo and its error" "^  disks +configure target .*HOST KEY CHANGED" "$tmp/out"
matches "the node's other undos too" "^  disks +start tgtd on .*could not be reached" "$tmp/out"
# the impostor goes: a plain down now reaches the real node and finishes
kill "$(cat "$tmp/impostor.pid")"
sleep 0.3
run "once the node answers again, down finishes" 0 "$labctl" down "$spec"
has "it started the node's own sshd again" "sshd of disks is gone; starting it again" "$tmp/out"
matches "and undid what was left" "undone +start tgtd on" "$tmp/out"
if test -z "$(pids_in "$ns" tgtd)"; then ok "tgtd is gone"; else not_ok "tgtd is gone"; fi
# tgtd takes about a second to shut down; a zombie that PID 1 has not
# reaped yet is gone
left=$tgtd_pids
for i in $(seq 1 50); do
	left=$(for p in $left; do if grep -qs '^State:[[:space:]]*[^Z]' /proc/"$p"/status; then echo "$p"; fi; done)
	test -z "$left" && break
	sleep 0.2
done
if test -z "$left"; then ok "no tgtd of the lab is left"
else { echo "tgtd $left left:"; for p in $left; do grep State /proc/"$p"/status; done; } >"$tmp/why"; not_ok "no tgtd of the lab is left"; fi
no_residue "nothing of the lab is left"
finish
