#!/bin/sh
# A second up on a lab proven whole skips the heavy proof (the remount with
# its checksum) and says so; check runs it, and so do up --prove, the
# spec's "prove: always" and an up after a check that failed.  An up whose
# mount test writes its file again (a remount and read-back of its own)
# skips the verify task's remount as proven by it.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t25 "$(subnet_for 25)"
log=$tmp/.labctl/t25/transcripts/host.log
on_host() { "$labctl" ssh "$spec" host -- "$1"; }
# proofs: how many times the remount ran, by what it printed in the host's
# transcript (the script itself is in there too, without a checksum)
proofs() { n=$(grep -cE "wrote, remounted and read back, sha256 [0-9a-f]{64}" "$log" 2>/dev/null); echo "${n:-0}"; }
# writes: how many times the mount test wrote its file and read it back
writes() { n=$(grep -cE "written and read back over iSCSI, sha256 [0-9a-f]{64}" "$log" 2>/dev/null); echo "${n:-0}"; }

run "plan marks the remount heavy" 0 "$labctl" plan "$spec"
matches "as [mount-test, verify, heavy]" "reads back a fresh file after a remount  \\[mount-test, verify, heavy\\]" "$tmp/out"

"$labctl" plan --json "$spec" >"$tmp/plan.json" 2>"$tmp/plan.err"
if python3 - "$tmp/plan.json" >"$tmp/why" 2>&1 <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
host = [n for n in doc["nodes"] if n["name"] == "host"][0]
by_id = {t["id"]: t for t in host["tasks"]}
v = [t for t in host["tasks"] if t.get("heavy") and "after a remount" in t["name"]][0]
assert by_id[v["proven_by"]]["name"].startswith("write "), v
EOF
then ok "its proven_by is the write task's id"; else not_ok "its proven_by is the write task's id"; fi

"$labctl" up --json "$spec" >"$tmp/up1.json" 2>"$tmp/up1.err"
if python3 - "$tmp/up1.json" >"$tmp/why" 2>&1 <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["ok"], doc
host = [n for n in doc["nodes"] if n["name"] == "host"][0]
skipped = [t for t in host["tasks"] if t["outcome"] == "skipped"]
assert len(skipped) == 1 and "after a remount" in skipped[0]["name"], skipped
assert "proved the same in this run" in skipped[0]["error"], skipped[0]
EOF
then ok "the first up skipped the verify remount as proven by the write"; else not_ok "the first up skipped the verify remount as proven by the write"; fi
test "$(writes)" = 1 && ok "the first up wrote and read back once" || { echo "writes: $(writes)" >"$tmp/why"; not_ok "the first up wrote and read back once"; }
test "$(proofs)" = 0 && ok "and did not remount a second time" || { echo "remounts: $(proofs)" >"$tmp/why"; not_ok "and did not remount a second time"; }

run "up again" 0 "$labctl" up "$spec"
has "it says the proof is left to check" "lab 't25' is up; nothing changed since it was last proven ('labctl check' runs the 1 heavy proof again)" "$tmp/out"
matches "the summary counts it as not run" "^host +0 +[0-9]+ +0 +1 " "$tmp/out"
test "$(proofs)$(writes)" = 01 && ok "up again did not remount" || not_ok "up again did not remount"

"$labctl" up --json --junit "$tmp/up.xml" "$spec" >"$tmp/up.json" 2>"$tmp/up.err"
if python3 - "$tmp/up.json" >"$tmp/why" 2>&1 <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["ok"], doc
host = [n for n in doc["nodes"] if n["name"] == "host"][0]
skipped = [t for t in host["tasks"] if t["outcome"] == "skipped"]
assert len(skipped) == 1, skipped
assert "after a remount" in skipped[0]["name"], skipped[0]
assert "'labctl check' runs it" in skipped[0]["error"], skipped[0]
assert host["not_run"] == 1, host
EOF
then ok "up --json says 'skipped', with the reason"; else not_ok "up --json says 'skipped', with the reason"; fi
matches "the JUnit marks it skipped" "<skipped message=\"skipped: nothing changed since the lab was last proven" "$tmp/up.xml"
run "the JUnit validates against the JUnit schema" 0 xmllint --noout --schema "$top/tests/data/junit/junit.xsd" "$tmp/up.xml"

run "check" 0 "$labctl" check "$spec"
has "all checks passed" "lab 't25': all 5 checks passed" "$tmp/out"
test "$(proofs)" = 1 && ok "check ran the remount" || not_ok "check ran the remount"

run "up --prove" 0 "$labctl" up --prove "$spec"
has "nothing changed, and nothing was skipped" "lab 't25' is up; nothing changed" "$tmp/out"
hasnt "no proof left to check" "last proven" "$tmp/out"
test "$(proofs)" = 2 && ok "up --prove ran the remount" || not_ok "up --prove ran the remount"

# a check that fails: the next up proves again
mkdir -p "$tmp/pb"
cp -r "$top/playbooks" "$top/templates" "$tmp/pb/"
printf 'echo "the proof of this test fails" >&2\nexit 1\n' >"$tmp/pb/templates/mount-verify.sh"
run "a check whose proof fails" 1 "$labctl" check --playbook-dir "$tmp/pb" "$spec"
run "up after that check" 0 "$labctl" up "$spec"
test "$(proofs)" = 3 && ok "up after a failed check ran the remount" || not_ok "up after a failed check ran the remount"
run "up again" 0 "$labctl" up "$spec"
test "$(proofs)" = 3 && ok "and the up after it did not" || not_ok "and the up after it did not"

# the lab's test file goes: up writes and reads it back again, a change
# whose own remount stands for the verify task's
run "someone removes the lab's test file" 0 on_host "rm $tmp/mnt/t25/abcd"
run "up on the changed lab" 0 "$labctl" up "$spec"
matches "it wrote the file again" "lab 't25' is up: [0-9]+ tasks? changed" "$tmp/out"
has "it says the write's remount stands for the verify task's" "skipped verify $tmp/mnt/t25 reads back a fresh file after a remount: 'write $tmp/mnt/t25/abcd and read it back after a remount' proved the same in this run" "$tmp/out"
test "$(writes)$(proofs)" = 23 && ok "and read it back after a remount, once" || { echo "writes, remounts: $(writes) $(proofs)" >"$tmp/why"; not_ok "and read it back after a remount, once"; }
run "check after that up" 0 "$labctl" check "$spec"
test "$(proofs)" = 4 && ok "check ran the verify remount" || not_ok "check ran the verify remount"

# the spec asks for the proof on every up
sed 's/^lab: t25$/lab: t25\nprove: always/' "$spec" >"$tmp/always.yaml"
run "a spec with prove: always is valid" 0 "$labctl" validate "$tmp/always.yaml"
run "up with prove: always" 0 "$labctl" up --state-dir "$tmp/.labctl/t25" "$tmp/always.yaml"
test "$(proofs)" = 5 && ok "prove: always ran the remount" || not_ok "prove: always ran the remount"
printf 'lab: t25b\nprove: sometimes\nprovider: {type: netns}\nnodes: [{name: a, role: disk}]\n' >"$tmp/bad.yaml"
run "a bad prove value" 2 "$labctl" validate "$tmp/bad.yaml"
has "is named with file, line and column" "bad.yaml:2:8: " "$tmp/out"

run "down" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left"
finish
