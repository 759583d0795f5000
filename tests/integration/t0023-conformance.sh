#!/bin/sh
# A conformance suite on a raw LUN (initiator.conformance): libiscsi's
# iscsi-test-cu runs the chosen tests against a LUN no host mounts, on up,
# check and test; its cases are JUnit testcases and "metrics" in --json;
# a failed case fails the check naming it, unless it is a known failure;
# a test name the suite does not
# have is refused on the node; validation refuses a mounted LUN, a LUN
# tested twice, and bad test names.  The destructive tests write only the
# raw LUN: the mounted LUN's data and someone's file beside the images are
# as they were after up, check, down, test and down --force.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
tests="ALL.Inquiry, ALL.Read10, ALL.Write10, ALL.Verify10"
write_lab "$spec" t23 "$(subnet_for 23)" "      conformance:
        - disk: disks
          lun: raw
          tests: [$tests]
          timeout: 120" "        - name: raw
          image: $tmp/images/t23-raw.img
          size: 64MiB"
mnt=$tmp/mnt/t23
task="run libiscsi's conformance tests ALL.Inquiry,ALL.Read10,ALL.Write10,ALL.Verify10 on lun 2 of disks"
on_host() { "$labctl" ssh "$spec" host -- "$1"; }

if ! command -v iscsi-test-cu >/dev/null; then
	echo "iscsi-test-cu is missing (Debian package libiscsi-bin): scripts/install-deps installs it" >"$tmp/why"
	not_ok "iscsi-test-cu is installed"
	finish
	exit 1
fi

run "the spec with a conformance run is valid" 0 "$labctl" validate "$spec"
run "plan" 0 "$labctl" plan "$spec"
has "plan shows the conformance run" "$task  [conformance, verify, heavy, metrics libiscsi]" "$tmp/out"
has "destructive tests, as the host's initiator name" "iscsi-test-cu -d -v" "$tmp/out"

# Validation: the LUN must be raw, tested once, and the names well formed.
bad=$tmp/bad.yaml
sed 's/^          lun: raw$/          lun: vol1/' "$spec" >"$bad"
line=$(grep -n '^          lun: vol1$' "$bad" | head -n 1 | cut -d: -f1)
run "a conformance run on the mounted lun is refused" 2 "$labctl" validate "$bad"
has "naming file, line and column, and why" "$bad:$line:16: lun 'vol1' of 'disks' is mounted by 'host': a conformance suite writes all over its lun" "$tmp/out"
sed "s/^          tests: .*/          tests: [ALL.Inquiry, 'ALL.Read10;reboot']/" "$spec" >"$bad"
run "a test name that is not one is refused" 2 "$labctl" validate "$bad"
has "naming it" "'ALL.Read10;reboot' is not a test name of the form FAMILY[.SUITE[.TEST]]" "$tmp/out"
sed "s/^          tests: .*/          tests: []/" "$spec" >"$bad"
run "an empty test list is refused" 2 "$labctl" validate "$bad"
has "saying what to do" "'tests' of a conformance run on 'host' is empty" "$tmp/out"
awk '{ print } /^      conformance:$/ { print "        - {disk: disks, lun: raw}" }' "$spec" >"$bad"
run "a lun tested twice is refused" 2 "$labctl" validate "$bad"
has "saying why" "lun 'raw' of 'disks' is already tested by a conformance run on 'host'" "$tmp/out"

# Someone's file beside the lab's images: nothing of the lab may change it.
head -c 1048576 /dev/urandom >"$tmp/images/someone.img"
theirs=$(sha256sum <"$tmp/images/someone.img")
same() {
	if test "$(sha256sum <"$tmp/images/someone.img")" = "$theirs"; then ok "$1"; else not_ok "$1"; fi
}

run "up" 0 "$labctl" up --junit "$tmp/up.xml" "$spec"
has "up runs the conformance tests and prints their counts" "libiscsi: " "$tmp/out"
matches "all of them passed or skipped themselves" "libiscsi: [0-9]+ tests, [0-9]+ passed, [0-9]+ skipped, 0 known failures, 0 failed" "$tmp/out"
has "up's JUnit has the cases" "libiscsi Inquiry.Standard" "$tmp/up.xml"
same "someone's file is as it was after up"

run "someone writes a file in the mounted lun" 0 on_host "head -c 1048576 /dev/urandom >$mnt/data && sync && sha256sum <$mnt/data"
cp "$tmp/out" "$tmp/data.sum"

"$labctl" check --json --junit "$tmp/check.xml" "$spec" >"$tmp/check.json" 2>"$tmp/check.err"
rc=$?
if test "$rc" = 0; then ok "check --json passes"; else { echo "exit $rc"; tail -30 "$tmp/check.err"; } >"$tmp/why"; not_ok "check --json passes"; fi
python3 - "$tmp/check.json" "$task" "$tmp/check.xml" >"$tmp/counts" 2>"$tmp/why" <<'PY'
import json, sys
import xml.etree.ElementTree as ET
doc = json.load(open(sys.argv[1]))
tasks = [t for n in doc["nodes"] for t in n["tasks"] if t["name"] == sys.argv[2]]
assert len(tasks) == 1, "tasks named so: %d" % len(tasks)
t = tasks[0]
assert t["outcome"] == "ok", t["outcome"]
m = t["metrics"]
assert m["kind"] == "libiscsi", m["kind"]
cases = m["cases"]
assert m["tests"] == len(cases) > 0, (m["tests"], len(cases))
assert m["passed"] + m["skipped"] + m["known_failures"] + m["failed"] == m["tests"], m
assert m["failed"] == 0, m
suites = {c["name"].split(".")[0] for c in cases}
assert suites == {"Inquiry", "Read10", "Write10", "Verify10"}, suites
std = [c for c in cases if c["name"] == "Inquiry.Standard"]
assert std and std[0]["outcome"] == "passed", std
# JUnit: one testcase per case after the task's, counted in the suite
root = ET.parse(sys.argv[3]).getroot()
host = [s for s in root if s.get("name") == "host"][0]
tc = host.findall("testcase")
assert int(host.get("tests")) == len(tc), (host.get("tests"), len(tc))
mine = [c for c in tc if " libiscsi " in c.get("name")]
assert len(mine) == len(cases), (len(mine), len(cases))
skipped = sum(1 for c in mine if c.find("skipped") is not None)
assert skipped == m["skipped"], (skipped, m["skipped"])
print(m["tests"], m["passed"], m["skipped"])
PY
if test -s "$tmp/counts"; then ok "check --json and JUnit hold the same cases"; else not_ok "check --json and JUnit hold the same cases"; fi
sed 's/^/# measured: tests passed skipped: /' "$tmp/counts"
run "the JUnit validates against the JUnit schema" 0 xmllint --noout --schema "$top/tests/data/junit/junit.xsd" "$tmp/check.xml"
matches "the task's testcase holds the counts" '<property name="libiscsi.tests" value="[1-9][0-9]*"/>' "$tmp/check.xml"

run "someone's file in the mounted lun" 0 on_host "sha256sum <$mnt/data"
if cmp -s "$tmp/out" "$tmp/data.sum"; then ok "is as it was after the destructive tests on the raw lun"; else { cat "$tmp/data.sum" "$tmp/out"; } >"$tmp/why"; not_ok "is as it was after the destructive tests on the raw lun"; fi

# A test that fails on tgt 1.0.85: GET LBA STATUS beyond the end of the LUN.
cp "$spec" "$tmp/good.yaml"
sed -i "s/^          tests: .*/          tests: [ALL.GetLBAStatus.BeyondEol, ALL.Inquiry.Standard]/" "$spec"
run "check with a test that fails fails" 1 "$labctl" check --junit "$tmp/fail.xml" "$spec"
has "naming the failed test" "1 of 2 conformance tests failed on host: GetLBAStatus.BeyondEol" "$tmp/out"
has "naming node and task" "labctl: node 'host', task host:" "$tmp/out"
has "the table shows it with its reason" "  FAILED GetLBAStatus.BeyondEol: GET_LBA_STATUS successful but should have failed" "$tmp/out"
has "the JUnit has its failure" '<testcase classname="labctl.t23.host" name="host:' "$tmp/fail.xml"
matches "as a conformance failure of that case" 'libiscsi GetLBAStatus.BeyondEol">$' "$tmp/fail.xml"
has "with CUnit's assertion" "test_get_lba_status_beyond_eol.c:38" "$tmp/fail.xml"
run "that JUnit validates" 0 xmllint --noout --schema "$top/tests/data/junit/junit.xsd" "$tmp/fail.xml"

# The same failure, known: the check passes, and says what it knew.
sed -i "s/^          tests: .*/          tests: [ALL.GetLBAStatus.BeyondEol, ALL.Inquiry.Standard]\n          known_failures: [GetLBAStatus.BeyondEol, Inquiry.Standard]/" "$spec"
run "check with that failure known passes" 0 "$labctl" check --junit "$tmp/known.xml" "$spec"
has "the table counts it" "libiscsi: 2 tests, 1 passed, 0 skipped, 1 known failures, 0 failed" "$tmp/out"
has "and names the known failure that passed" "passed, though listed as a known failure: Inquiry.Standard" "$tmp/out"
has "the JUnit marks it skipped, as a known failure" '<skipped message="known failure: GET_LBA_STATUS successful but should have failed' "$tmp/known.xml"
run "that JUnit validates" 0 xmllint --noout --schema "$top/tests/data/junit/junit.xsd" "$tmp/known.xml"

sed -i "/^          known_failures:/d; s/^          tests: .*/          tests: [ALL.Inquiry, ALL.NoSuchSuite]/" "$spec"
run "check with a test the suite does not have fails" 1 "$labctl" check "$spec"
has "naming it" "the iscsi-test-cu on this node has no test named: ALL.NoSuchSuite" "$tmp/out"
cp "$tmp/good.yaml" "$spec"

run "down" 0 "$labctl" down "$spec"
same "someone's file is as it was after down"

run "test" 0 "$labctl" test --junit "$tmp/test.xml" "$spec"
has "test's JUnit holds the cases of the check" "libiscsi Write10.Simple" "$tmp/test.xml"
run "test's JUnit validates" 0 xmllint --noout --schema "$top/tests/data/junit/junit.xsd" "$tmp/test.xml"
same "someone's file is as it was after test"

run "up again" 0 "$labctl" up "$spec"
run "down --force" 0 "$labctl" down --force "$spec"
same "someone's file is as it was after down --force"

rm "$tmp/images/someone.img"
rm -rf "$mnt"
no_residue "nothing of the lab is left"
finish
