#!/bin/sh
# The local lab: up makes a real XFS mount over iSCSI (tgtd, libiscsi, a
# FUSE export), a second up changes nothing, status sees the nodes, down
# leaves nothing behind, and a second down has nothing to do; down
# --keep-nodes undoes the tasks and keeps the nodes for the next up.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t1 "$(subnet_for 1)"

run "up stands the lab up" 0 "$labctl" up "$spec"
matches "up says the lab is up" "lab 't1' is up: [0-9]+ tasks? changed" "$tmp/out"
state=$tmp/.labctl/t1
has "the mount test read back what it wrote" "written and read back over iSCSI" "$state/transcripts/host.log"
has "the target was made with tgtadm" "tgtadm --lld iscsi --mode target --op new" "$state/transcripts/disks.log"
if test "$(stat -c %a "$state")" = 700 && test "$(stat -c %a "$state/journal.jsonl")" = 600; then
	ok "state directory 0700, journal 0600"
else
	echo "modes $(stat -c %a "$state") $(stat -c %a "$state/journal.jsonl")" >"$tmp/why"; not_ok "state directory 0700, journal 0600"
fi

run "status after up" 0 "$labctl" status "$spec"
matches "status: both nodes reachable" "^disks .* yes" "$tmp/out"
run "status --json" 0 "$labctl" status --json "$spec"
has "status --json says it exists" '"exists" : true' "$tmp/out"

run "a second up" 0 "$labctl" up "$spec"
has "a second up changes nothing" "lab 't1' is up; nothing changed" "$tmp/out"

# --keep-nodes: the tasks are undone, the namespaces and their sshd stay
h=$(lab_hash t1)
run "down --keep-nodes" 0 "$labctl" down --keep-nodes "$spec"
matches "it says the nodes are kept" "lab 't1': [0-9]+ undone on the nodes .* the nodes are kept" "$tmp/out"
doesnt_match "it undoes nothing of the provider's" "^local " "$tmp/out"
if ip netns list | grep -q "^labctl-$h-host" && test -z "$(losetup -a | grep -F "$tmp")" &&
   ! grep -qF "$tmp/mnt" /proc/mounts; then
	ok "the namespaces stay; loop devices and mounts are gone"
else
	{ ip netns list; losetup -a; grep -F "$tmp" /proc/mounts; } >"$tmp/why"
	not_ok "the namespaces stay; loop devices and mounts are gone"
fi
run "up on the kept nodes" 0 "$labctl" up "$spec"
doesnt_match "it makes no node anew" "^local +(network namespace|bridge|sshd)" "$tmp/out"
matches "it configures them again" "lab 't1' is up: [0-9]+ tasks? changed" "$tmp/out"

run "down" 0 "$labctl" down "$spec"
matches "down says the lab is down" "lab 't1' is down: [0-9]+ undone" "$tmp/out"
no_residue "nothing of the lab is left"
if test -e "$state"; then echo "$state exists" >"$tmp/why"; not_ok "state directory removed"; else ok "state directory removed"; fi

run "a second down" 0 "$labctl" down "$spec"
has "a second down has nothing to do" "nothing to undo" "$tmp/out"
run "status after down" 0 "$labctl" status "$spec"
has "status says down" "is down" "$tmp/out"
finish
