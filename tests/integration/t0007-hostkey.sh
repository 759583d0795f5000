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
has "it lists each failure" "disks: start tgtd on .*: undo failed" "$tmp/out"
has "and says they were given up" "failed and were given up" "$tmp/out"
# (the impostor may be gone with its namespace)
if test -s "$tmp/impostor.pid"; then kill "$(cat "$tmp/impostor.pid")" 2>/dev/null; fi
run "a second down has nothing to do" 0 "$labctl" down "$spec"
# the disk node's undos could not run: clean what they would have (test
# only); tgtd ignores SIGTERM
for p in $tgtd_pids; do kill -9 "$p" 2>/dev/null; done
sleep 0.3
losetup -j "$tmp/images/t7-vol1.img" | cut -d: -f1 | xargs -r -n1 losetup -d
rm -f "$tmp/images/t7-vol1.img"
no_residue "nothing of the lab is left"
finish
