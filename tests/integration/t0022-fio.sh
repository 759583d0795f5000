#!/bin/sh
# A mount's fio check (mounts[].fio): check runs fio in the lab's own
# mount and reports its figures in --json, in the JUnit file and in a
# table; it writes nothing but its own file, which it removes; a file of
# that name that it did not make is refused and left as it is; errors in
# fio's report fail the check naming node and task; down leaves nothing.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t22 "$(subnet_for 22)"
# the mount is the last mapping of the file: its fio run
echo "          fio: {runtime: 3, size: 16MiB}" >>"$spec"
mnt=$tmp/mnt/t22
task="run fio on $mnt (randrw, 3 s)"
on_host() { "$labctl" ssh "$spec" host -- "$1"; }

if ! command -v fio >/dev/null; then
	echo "fio is missing (Debian package fio): scripts/install-deps installs it" >"$tmp/why"
	not_ok "fio is installed"
	finish
	exit 1
fi

run "the spec with fio is valid" 0 "$labctl" validate "$spec"
run "plan" 0 "$labctl" plan "$spec"
has "plan shows the fio check" "$task  [mount-test, verify, heavy, metrics fio]" "$tmp/out"
has "on a file of its own in the mount" "f=$mnt/.labctl-fio" "$tmp/out"

# Someone's file under the mount point before the lab: the lab's mount
# hides it from the host node, and nothing of the lab may change it.
mkdir -p "$mnt"
head -c 65536 /dev/urandom >"$mnt/someone.dat"
under=$(sha256sum <"$mnt/someone.dat")

run "up" 0 "$labctl" up "$spec"
has "up runs the fio check and prints its figures" "fio job" "$tmp/out"

# Someone's file in the lab's file system, next to where fio works.
run "someone writes a file in the mount" 0 on_host "head -c 1048576 /dev/urandom >$mnt/data && sha256sum <$mnt/data"
cp "$tmp/out" "$tmp/data.sum"

# --json: the document alone on stdout
"$labctl" check --json --junit "$tmp/check.xml" "$spec" >"$tmp/check.json" 2>"$tmp/check.err"
rc=$?
if test "$rc" = 0; then ok "check --json passes"; else { echo "exit $rc"; tail -30 "$tmp/check.err"; } >"$tmp/why"; not_ok "check --json passes"; fi
# The fio task's figures, one line per direction: "DIR IOPS KIB/S P50 P99 P99.9 ERRORS".
python3 - "$tmp/check.json" "$task" >"$tmp/figures" 2>"$tmp/why" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["format"] == "labctl-run/1", doc["format"]
tasks = [t for n in doc["nodes"] for t in n["tasks"] if t["name"] == sys.argv[2]]
assert len(tasks) == 1, "tasks named so: %d" % len(tasks)
t = tasks[0]
assert t["outcome"] == "ok", t["outcome"]
m = t["metrics"]
assert m["kind"] == "fio" and len(m["jobs"]) == 1, m
j = m["jobs"][0]
for d in ("read", "write"):
    f = j[d]
    print(d, f["iops"], f["bw_kib"], f["clat_p50_us"], f["clat_p99_us"], f["clat_p99_9_us"], j["errors"])
EOF
if test -s "$tmp/figures"; then ok "check --json has the fio task's metrics"; else not_ok "check --json has the fio task's metrics"; fi
sed 's/^/# measured: /' "$tmp/figures"
if awk '$2 > 0 && $3 > 0 && $4 > 0 { n++ } END { exit !(n == 2) }' "$tmp/figures"; then
	ok "IOPS, bandwidth and latency > 0 for reads and writes of the job"
else
	cp "$tmp/figures" "$tmp/why"; not_ok "IOPS, bandwidth and latency > 0 for reads and writes of the job"
fi
if awk '$7 != 0 { bad = 1 } END { exit bad }' "$tmp/figures"; then ok "no errors"; else not_ok "no errors"; fi

run "the JUnit validates against the JUnit schema" 0 xmllint --noout --schema "$top/tests/data/junit/junit.xsd" "$tmp/check.xml"
matches "the fio testcase holds its IOPS as properties" '<property name="fio\.job1\.read\.iops" value="[0-9]+\.[0-9]{3}"/>' "$tmp/check.xml"
has "and its p99.9 latency" '<property name="fio.job1.write.clat_p99.9_us"' "$tmp/check.xml"
has "and its errors" '<property name="fio.job1.errors" value="0"/>' "$tmp/check.xml"

run "check" 0 "$labctl" check "$spec"
has "check prints the table" "fio job        rw          IOPS      KiB/s    p50 us    p99 us  p99.9 us errors" "$tmp/out"
matches "a row for the reads" "^  labctl #1 +read +[0-9]+ +[0-9]+ " "$tmp/out"
matches "a row for the writes" "^  labctl #1 +write +[0-9]+ +[0-9]+ " "$tmp/out"
has "all checks passed" "lab 't22': all " "$tmp/out"
grep -B1 -A2 '^  fio job' "$tmp/out" | sed 's/^/# /'

run "the mount after the checks" 0 on_host "ls -A $mnt"
hasnt "no .labctl-fio is left in the mount" ".labctl-fio" "$tmp/out"
run "someone's file in the mount" 0 on_host "sha256sum <$mnt/data"
if cmp -s "$tmp/out" "$tmp/data.sum"; then ok "is as it was after check"; else { cat "$tmp/data.sum" "$tmp/out"; } >"$tmp/why"; not_ok "is as it was after check"; fi
test "$(sha256sum <"$mnt/someone.dat")" = "$under" && ok "someone's file under the mount point is as it was" ||
	not_ok "someone's file under the mount point is as it was"

# A .labctl-fio that the check did not make: refused, and left as it is.
run "someone's .labctl-fio in the mount" 0 on_host "echo mine >$mnt/.labctl-fio"
run "check refuses to run fio on it" 1 "$labctl" check "$spec"
has "it says why" "$mnt/.labctl-fio exists, and this check did not make it" "$tmp/out"
has "naming node and task" "labctl: node 'host', task host:" "$tmp/out"
run "the file" 0 on_host "cat $mnt/.labctl-fio"
has "is left as it was" "mine" "$tmp/out"
run "someone takes it away" 0 on_host "rm $mnt/.labctl-fio"

# Errors in fio's report, and no report: the engine reads what the node
# printed.  A playbook directory whose fio script prints a real report of
# fio's that names an error (ENOSPC), or prints no report.
mkdir -p "$tmp/pb"
cp -r "$top/playbooks" "$top/templates" "$tmp/pb/"
{ echo "cat <<'REPORT'"; cat "$top/tests/data/fio/enospc.json"; echo "REPORT"; echo "exit 1"; } >"$tmp/pb/templates/mount-fio.sh"
run "check with a report that names an error fails" 1 "$labctl" check --playbook-dir "$tmp/pb" "$spec"
has "naming node and error" "fio on host reported errors: job 'labctl' #1: error 28" "$tmp/out"
has "naming the task" "labctl: node 'host', task host:" "$tmp/out"
printf 'echo "this is no report"\n' >"$tmp/pb/templates/mount-fio.sh"
run "check without a report fails" 1 "$labctl" check --playbook-dir "$tmp/pb" "$spec"
has "it says so" "fio on host printed no report labctl can read: fio printed no JSON report" "$tmp/out"
run "the real check passes again" 0 "$labctl" check "$spec"

run "down" 0 "$labctl" down "$spec"
test "$(sha256sum <"$mnt/someone.dat")" = "$under" && ok "someone's file under the mount point is as it was after down" ||
	not_ok "someone's file under the mount point is as it was after down"
hasnt "no .labctl-fio under the mount point" ".labctl-fio" "$(ls -A "$mnt" >"$tmp/ls"; echo "$tmp/ls")"

# test runs check: its JUnit has the figures too
run "test" 0 "$labctl" test --junit "$tmp/test.xml" "$spec"
matches "test's JUnit holds the figures of the check" '<property name="fio\.job1\.read\.iops" value="[0-9]+\.[0-9]{3}"/>' "$tmp/test.xml"
run "test's JUnit validates" 0 xmllint --noout --schema "$top/tests/data/junit/junit.xsd" "$tmp/test.xml"
test "$(sha256sum <"$mnt/someone.dat")" = "$under" && ok "someone's file under the mount point is as it was after test" ||
	not_ok "someone's file under the mount point is as it was after test"

# the mount point was someone's: the lab left it; the test takes its own away
rm -r "$mnt"
no_residue "nothing of the lab is left"
finish
