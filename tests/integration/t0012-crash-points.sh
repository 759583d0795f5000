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
echo "# crash points tested: $points"
if test "$points" -ge 30; then ok "at least 30 crash points were reached ($points)"; else echo "$points" >"$tmp/why"; not_ok "at least 30 crash points were reached"; fi
finish
