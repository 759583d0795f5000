#!/bin/sh
# kill -9 of labctl up part-way: down still takes everything apart; and an
# up after the kill, without down, converges to a complete lab.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t5 "$(subnet_for 5)"
for delay in 0.3 0.8 1.2; do
	"$labctl" up "$spec" >"$tmp/up.out" 2>&1 &
	pid=$!
	sleep "$delay"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	run "down after kill -9 at $delay s" 0 "$labctl" down "$spec"
	no_residue "nothing left after kill -9 at $delay s and down"
done

"$labctl" up "$spec" >"$tmp/up.out" 2>&1 &
pid=$!
sleep 0.8
kill -9 "$pid" 2>/dev/null
wait "$pid" 2>/dev/null
run "up again after kill -9" 0 "$labctl" up "$spec"
has "it completes the lab" "lab 't5' is up" "$tmp/out"
has "the mount test passed" "written and read back over iSCSI" "$tmp/.labctl/t5/transcripts/host.log"
run "down" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left"
finish
