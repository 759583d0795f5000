#!/bin/sh
# Two labctl on the same lab at once: the second is refused, at once, with
# the pid of the first.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t6 "$(subnet_for 6)"
"$labctl" up "$spec" >"$tmp/first.out" 2>&1 &
first=$!
i=0
while ! test -e "$tmp/.labctl/t6/lock" && test $i -lt 100; do sleep 0.02; i=$((i + 1)); done
run "a second up is refused" 4 "$labctl" up "$spec"
has "it names the first labctl" "is in use by labctl pid $first" "$tmp/out"
run "a down meanwhile is refused too" 4 "$labctl" down "$spec"
wait "$first"
first_rc=$?
if test "$first_rc" = 0; then ok "the first up completed"; else cp "$tmp/first.out" "$tmp/why"; not_ok "the first up completed"; fi
run "down" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left"
finish
