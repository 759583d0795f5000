#!/bin/sh
# validate: the examples are valid, every error of a spec as
# FILE:LINE:COL: message in one run (and in --json), YAML syntax errors,
# empty and missing files.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "the examples are valid" -- "$labctl" validate examples/seed-lab.yaml examples/local-lab.yaml examples/libvirt-lab.yaml
expect_exit 0 "validate -q is quiet" -- "$labctl" validate -q examples/seed-lab.yaml
if test -s "$tmp/out"; then echo "stdout not empty" >"$tmp/why"; not_ok "validate -q prints nothing"; else ok "validate -q prints nothing"; fi

write_bad_spec "$tmp/bad.yaml"
cat >"$tmp/bad.expect" <<EOF
$tmp/bad.yaml:8:12: malformed iqn 'iqn.2016-13.com.example:x': the month of the date is 01 to 12
$tmp/bad.yaml:10:28: unsafe image path 'lun.img': must be an absolute path
$tmp/bad.yaml:10:49: unknown key 'lunz' in lun 'l'
EOF
expect_exit 2 "invalid spec exits 2" -- "$labctl" validate "$tmp/bad.yaml"
same "every error as FILE:LINE:COL: message, in one run" "$tmp/bad.expect" "$tmp/err"
expect_exit 2 "validate --json on an invalid spec" -- "$labctl" validate --json "$tmp/bad.yaml"
has "json says invalid" '"valid" : false' "$tmp/out"
has "json gives the column" '"column" : 49' "$tmp/out"
expect_exit 2 "a valid and an invalid spec exit 2" -- "$labctl" validate examples/seed-lab.yaml "$tmp/bad.yaml"
has "the valid one is still reported" "examples/seed-lab.yaml: valid" "$tmp/out"

printf 'lab: [unclosed\n' >"$tmp/syntax.yaml"
expect_exit 2 "yaml syntax error" -- "$labctl" validate "$tmp/syntax.yaml"
has "syntax error has line and column" "$tmp/syntax.yaml:2:1: invalid yaml" "$tmp/err"
: >"$tmp/empty.yaml"
expect_exit 2 "empty file" -- "$labctl" validate "$tmp/empty.yaml" && has "empty file said so" "$tmp/empty.yaml: file is empty" "$tmp/err"
expect_exit 2 "missing file" -- "$labctl" validate "$tmp/nope.yaml" && has "missing file said so" "cannot read: No such file or directory" "$tmp/err"

finish
