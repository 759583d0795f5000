#!/bin/sh
# One-way CHAP: the right secret logs in and mounts; a changed secret on
# the initiator side is refused.  Secrets reach no transcript, journal or
# argv.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t3 "$(subnet_for 3)" "" "      chap: {user: hostuser, password: {env: T3_CHAP}}"
unset T3_CHAP
run "up without the secret fails before making anything" 2 "$labctl" up "$spec"
has "it names the variable" "the environment variable 'T3_CHAP' is not set" "$tmp/out"
no_residue "nothing was made"

export T3_CHAP=Right-Secret-0123
# watch the process list while up runs: no argv may hold the secret
( for i in $(seq 1 60); do ps -eo args= ; sleep 0.05; done ) >"$tmp/ps" &
watcher=$!
run "up with the right secret" 0 "$labctl" up --json --junit "$tmp/up.xml" "$spec"
kill "$watcher" 2>/dev/null; wait "$watcher" 2>/dev/null
state=$tmp/.labctl/t3
has "the mount test passed over CHAP" "written and read back over iSCSI" "$state/transcripts/host.log"
hasnt "no transcript or journal holds the secret" "Right-Secret" "$state/transcripts/host.log"
hasnt "the disk transcript shows *** instead" "Right-Secret" "$state/transcripts/disks.log"
hasnt "the journal does not hold it" "Right-Secret" "$state/journal.jsonl"
hasnt "labctl printed no secret, in --json neither" "Right-Secret" "$tmp/out"
hasnt "the JUnit file does not hold it" "Right-Secret" "$tmp/up.xml"
run "check" 0 "$labctl" check --json --junit "$tmp/check.xml" "$spec"
hasnt "check's --json does not hold it" "Right-Secret" "$tmp/out"
hasnt "check's JUnit does not hold it" "Right-Secret" "$tmp/check.xml"
grep -rlF "Right-Secret" "$state" >"$tmp/leaks"
if test -s "$tmp/leaks"; then cp "$tmp/leaks" "$tmp/why"; not_ok "no file in the state directory holds it"; else ok "no file in the state directory holds it"; fi
grep -F "Right-Secret" "$tmp/ps" >"$tmp/leaks"
if test -s "$tmp/leaks"; then cp "$tmp/leaks" "$tmp/why"; not_ok "no process on either side had the secret in its argv"; else ok "no process on either side had the secret in its argv"; fi

# the account was made through tgtd's socket, not by tgtadm's argv
"$labctl" ssh "$spec" disks tgtadm --lld iscsi --mode account --op show >"$tmp/accounts" 2>&1
has "the target has the CHAP account" "hostuser" "$tmp/accounts"
export T3_CHAP=Wrong-Secret-9876
run "up with a wrong secret fails" 1 "$labctl" up --on-failure keep --junit "$tmp/fail.xml" "$spec"
has "the login is refused" "Authentication failure" "$tmp/out"
doesnt_match "the error messages do not hold either secret" "Wrong-Secret|Right-Secret" "$tmp/out"
doesnt_match "the failure in JUnit does not hold either secret" "Wrong-Secret|Right-Secret" "$tmp/fail.xml"
hasnt "the transcripts do not hold the wrong secret" "Wrong-Secret" "$state/transcripts/host.log"
export T3_CHAP=Right-Secret-0123
run "down" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left"
finish
