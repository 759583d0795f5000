#!/bin/sh
# plan: the golden plan of the seed lab, --playbook-dir, --json, and a
# spec or playbook directory that is not right.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "plan of the seed lab" -- "$labctl" plan examples/seed-lab.yaml
same "plan prints the golden seed plan" tests/data/plan/seed-lab.txt "$tmp/out"
expect_exit 0 "plan --playbook-dir with the source tree" -- "$labctl" plan --playbook-dir . examples/seed-lab.yaml
same "--playbook-dir . gives the same plan" tests/data/plan/seed-lab.txt "$tmp/out"
expect_exit 0 "plan --json" -- "$labctl" plan --json examples/local-lab.yaml
has "json plan is versioned" '"format" : "labctl-plan/1"' "$tmp/out"
write_bad_spec "$tmp/bad.yaml"
expect_exit 2 "plan of an invalid spec exits 2" -- "$labctl" plan "$tmp/bad.yaml"
mkdir -p "$tmp/pb/playbooks"
expect_exit 2 "a playbook dir without playbooks" -- "$labctl" plan --playbook-dir "$tmp/pb" examples/seed-lab.yaml
has "names the missing playbook" "'playbooks/backing.yaml' not found in playbook directory" "$tmp/err"

# Every blkid in a plan probes the device (-p): blkid's cache trusts an
# entry for two seconds, and a LUN made again at the same path in that time
# (up right after down --keep-nodes) read as the file system it held before.
for spec in examples/local-lab.yaml examples/seed-lab.yaml; do
	"$labctl" plan "$spec" >"$tmp/blkid-plan" 2>&1
	doesnt_match "$spec: every blkid probes the device" 'blkid( +[^ -]| +-[^p]| *$)' "$tmp/blkid-plan"
done

finish
