#!/bin/sh
# check re-runs the verification of a lab that is up and notices when it
# breaks; test runs up, check and down and exits 0 only when all passed,
# taking the lab down also when it failed.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t10 "$(subnet_for 10)"
run "check before up says so" 1 "$labctl" check "$spec"
has "it says the lab is not up" "is not up" "$tmp/out"

run "up" 0 "$labctl" up -q "$spec"
run "check on the lab that is up" 0 "$labctl" check "$spec"
has "every check passed" "lab 't10': all 5 checks passed" "$tmp/out"
has "the check wrote and read back through a remount" "wrote, remounted and read back" "$tmp/.labctl/t10/transcripts/host.log"
run "check changes nothing: a second up has nothing to do" 0 "$labctl" up "$spec"
has "nothing changed" "nothing changed" "$tmp/out"

# break the lab: stop the host's export (a process the lab started)
pid=$(ps -eo pid=,args= | grep '^ *[0-9]* qemu-storage-daemon' | grep -F "/run/labctl/t10/" | awk '{print $1}')
kill $pid
sleep 0.5
run "check on a broken lab fails" 1 "$labctl" check "$spec"
matches "it names the check that failed" "node 'host', task host:[0-9]+ 'verify the export of lun 1" "$tmp/out"
run "down takes the broken lab apart" 0 "$labctl" down --force "$spec"
no_residue "nothing of the lab is left"

run "test on a good lab" 0 "$labctl" test --junit "$tmp/good.xml" "$spec"
matches "test says PASSED" "labctl test: PASSED .*\\(up ok, check ok, down ok\\)" "$tmp/out"
no_residue "test left nothing behind"
run "its JUnit validates against the JUnit schema" 0 xmllint --noout --schema "$top/tests/data/junit/junit.xsd" "$tmp/good.xml"
matches "with no failure" '<testsuites [^>]*failures="0"' "$tmp/good.xml"
has "with a suite for the checks" '<testsuite name="host (check)"' "$tmp/good.xml"

spec2=$tmp/bad.yaml
write_lab "$spec2" t10b "$(subnet_for 11)" "      targets: [disks]" "      acl: [iqn.2016-06.com.example:someone-else]"
run "test on a lab that cannot come up fails" 1 "$labctl" test --junit "$tmp/bad.xml" "$spec2"
matches "test says FAILED" "labctl test: FAILED .*\\(up failed, check not run, down ok\\)" "$tmp/out"
no_residue "and still took the lab down"
run "the JUnit of the failure validates" 0 xmllint --noout --schema "$top/tests/data/junit/junit.xsd" "$tmp/bad.xml"
matches "it names the failing testcase" '<testcase classname="labctl.t10b.host" name="host:[0-9]+ log in to iqn.2016-06.com.iscsi-disks:iscsi-disks' "$tmp/bad.xml"
has "with the reason" "does not offer iqn.2016-06.com.iscsi-disks:iscsi-disks" "$tmp/bad.xml"
matches "and the teardown passed" '<testsuite name="labctl down"[^>]*failures="0"' "$tmp/bad.xml"

run "up --json" 0 "$labctl" up --json "$spec"
"$labctl" check --json "$spec" >"$tmp/check.json" 2>"$tmp/check.err"
if python3 -c "import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d['format']=='labctl-run/1' and d['ok'] else 1)" "$tmp/check.json"; then
	ok "check --json prints one JSON document on stdout"
else
	cp "$tmp/check.json" "$tmp/why"; not_ok "check --json prints one JSON document on stdout"
fi
has "what a person reads went to stderr" "all 5 checks passed" "$tmp/check.err"
run "down" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left at the end"
finish
