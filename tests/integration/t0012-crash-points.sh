#!/bin/sh
# Crash consistency at every step: labctl up is killed (SIGKILL, through
# the test-only fault point LABCTL_TEST_CRASH, docs/testing.md) right after
# each journal record is written and right after each task ran.  After
# every such crash, down must leave nothing behind; and an up after the
# crash, without down, must complete the lab.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t12 "$(subnet_for 13)"
points=0

for kind in journal ran; do
	n=1
	while :; do
		LABCTL_TEST_CRASH=$kind:$n "$labctl" up -q "$spec" >"$tmp/crash.out" 2>&1
		rc=$?
		if test $rc = 0; then
			# the point lies past the end of up: every point of this kind is done
			run "$kind: up without reaching point $n" 0 "$labctl" down -q "$spec"
			break
		fi
		if test $rc != 137; then
			cp "$tmp/crash.out" "$tmp/why"
			not_ok "$kind:$n: up died by SIGKILL (exit $rc)"
			break
		fi
		points=$((points + 1))
		# half of the points: down after the crash; the other half: up again
		if test $((n % 2)) = 1; then
			"$labctl" down -q "$spec" >"$tmp/out" 2>&1 || { cp "$tmp/out" "$tmp/why"; not_ok "$kind:$n: down after the crash"; }
		else
			"$labctl" up -q "$spec" >"$tmp/out" 2>&1 || { cp "$tmp/out" "$tmp/why"; not_ok "$kind:$n: up after the crash completes the lab"; }
			grep -q "is up" "$tmp/out" || { cp "$tmp/out" "$tmp/why"; not_ok "$kind:$n: up after the crash says the lab is up"; }
			"$labctl" down -q "$spec" >"$tmp/out" 2>&1 || { cp "$tmp/out" "$tmp/why"; not_ok "$kind:$n: down after up"; }
		fi
		snapshot "$tmp/after"
		if diff -u "$tmp/before" "$tmp/after" >"$tmp/why"; then
			ok "$kind:$n: nothing left"
		else
			not_ok "$kind:$n: nothing left"
		fi
		n=$((n + 1))
	done
done
# A batch of ip commands that stops halfway: up is stopped
# (LABCTL_TEST_STOP) right after the host's namespace is journaled, the
# lab's bridge is taken away, and the batch then makes the namespace and
# the veth but fails to put the veth on the bridge.  up names that
# command; down undoes what the batch made and what it did not.
h=$(lab_hash t12)
"$labctl" up -q "$spec" >"$tmp/out" 2>&1 || { cp "$tmp/out" "$tmp/why"; not_ok "batch: up to count the records"; }
k=$(grep -n "\"key\":\"labctl-$h-host\"" "$tmp/.labctl/t12/journal.jsonl" | cut -d: -f1)
"$labctl" down -q "$spec" >"$tmp/out" 2>&1 || { cp "$tmp/out" "$tmp/why"; not_ok "batch: down after counting"; }
if test -n "$k"; then
	# the lab's journal is new: record K is the Kth this up appends
	LABCTL_TEST_STOP=journal:$k "$labctl" up -q --on-failure keep "$spec" >"$tmp/batch.out" 2>&1 &
	pid=$!
	i=0
	until test "$(cut -d' ' -f3 /proc/$pid/stat 2>/dev/null)" = T || test $i -ge 300; do
		sleep 0.1; i=$((i + 1))
	done
	ip link del "lc$h"
	kill -CONT $pid
	wait $pid
	rc=$?
	# ip says which command failed, or it is named with the others of the batch
	if test $rc != 0 && grep -q "ip link set lc${h}v1 master lc$h up.*' failed: " "$tmp/batch.out"; then
		ok "batch: up fails naming the command that failed"
	else
		{ echo "exit $rc"; cat "$tmp/batch.out"; } >"$tmp/why"
		not_ok "batch: up fails naming the command that failed"
	fi
	if test -e "/run/netns/labctl-$h-host" && test -e "/sys/class/net/lc${h}v1"; then
		ok "batch: what the batch made before it failed is there"
	else
		echo "no namespace labctl-$h-host or veth lc${h}v1" >"$tmp/why"
		not_ok "batch: what the batch made before it failed is there"
	fi
	run "batch: down after the failed batch" 0 "$labctl" down -q "$spec"
	no_residue "batch: nothing left"
else
	echo "no record of namespace labctl-$h-host" >"$tmp/why"
	not_ok "batch: the host's namespace is journaled"
fi
echo "# crash points tested: $points"
if test "$points" -ge 30; then ok "at least 30 crash points were reached ($points)"; else echo "$points" >"$tmp/why"; not_ok "at least 30 crash points were reached"; fi
finish
