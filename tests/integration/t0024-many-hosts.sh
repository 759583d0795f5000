#!/bin/sh
# Many initiators on one target: one tgt disk and 100 netns hosts, each of
# which logs in with libiscsi and reads the LUN's capacity (iscsi-ls -s),
# no file system (tests/bench/gen-fanout, the lab of make bench's fanout
# section).  up brings all of them up, check passes on every host, up
# again changes nothing, and down leaves nothing.  Times are measured by
# make bench, not here.
. "$(dirname "$0")/lib.sh"

hosts=100
spec=$tmp/lab.yaml
"$top/tests/bench/gen-fanout" t24 "$hosts" "$(subnet_for 24)" "$tmp" >"$spec"
echo t24 >>"$tmp/labs"
state=$tmp/.labctl/t24

run "one disk and $hosts hosts: valid" 0 "$labctl" validate "$spec"
has "with every node" "valid (lab 't24', $((hosts + 1)) nodes)" "$tmp/out"
run "up" 0 "$labctl" up -q "$spec"
run "status" 0 "$labctl" status "$spec"
# each host's login task listed the LUN with its size, in its transcript
# (tgt's lun 0 is its controller; iscsi-ls rounds 64 MiB down to 63M)
n=0
for i in $(seq "$hosts"); do
	if grep -Eq '^Lun:1 +Type:DIRECT_ACCESS \(Size:6[34]M\)' "$state/transcripts/host$i.log" 2>/dev/null; then
		n=$((n + 1))
	fi
done
if test "$n" = "$hosts"; then ok "every host read the LUN's capacity"; else
	echo "$n of $hosts transcripts show iscsi-ls listing lun 1, a disk of 64 MiB" >"$tmp/why"
	not_ok "every host read the LUN's capacity"
fi
run "check" 0 "$labctl" check "$spec"
has "passes on every host: reach and log in on each, the target's own" "all $((2 * hosts + 1)) checks passed" "$tmp/out"
run "up again" 0 "$labctl" up "$spec"
has "changes nothing" "nothing changed" "$tmp/out"
run "down" 0 "$labctl" down -q "$spec"
no_residue "nothing of the lab is left"
finish
