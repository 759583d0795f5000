#!/bin/sh
# The command line itself: --version, --help and help VERB, the verbs'
# names matched exactly, unknown verbs and options, a spec that is missing,
# and a standard output that cannot be written.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "--version" -- "$labctl" --version && has "--version names labctl" "labctl " "$tmp/out"
expect_exit 0 "--help" -- "$labctl" --help
for verb in validate plan up check test down status ssh-config inventory ssh; do
	has "--help lists $verb" "  $verb " "$tmp/out"
done
expect_exit 0 "plan --help" -- "$labctl" plan --help && has "plan --help shows usage" "usage: labctl plan" "$tmp/out"
expect_exit 0 "help validate" -- "$labctl" help validate && has "help validate shows usage" "usage: labctl validate" "$tmp/out"
expect_exit 2 "no verb" -- "$labctl"
expect_exit 2 "unknown verb" -- "$labctl" frobnicate && has "unknown verb named" "unknown verb 'frobnicate'" "$tmp/err"
expect_exit 2 "verbs match exactly, no prefixes" -- "$labctl" val examples/seed-lab.yaml
expect_exit 2 "unknown option" -- "$labctl" plan --bogus examples/seed-lab.yaml
expect_exit 2 "plan without spec" -- "$labctl" plan && has "says what is missing" "no spec given" "$tmp/err"
if test -w /dev/full; then
	"$labctl" plan examples/seed-lab.yaml >/dev/full 2>"$tmp/err"
	got=$?
	echo "exit $got, want 1" >"$tmp/why"
	if test "$got" = 1; then ok "plan to a full disk fails"; else not_ok "plan to a full disk fails"; fi
	has "full disk: says so" "cannot write to standard output" "$tmp/err"
else
	echo "/dev/full is not writable here" >"$tmp/why"
	not_ok "plan to a full disk fails"
fi

finish
