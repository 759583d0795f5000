# Shared by the command-line tests: a private temporary directory, the
# checks (and those of tests/tap.sh).  Source it; LABCTL is the binary under
# test.  Each test runs from the top of the source tree.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
labctl=${LABCTL:-$top/labctl}
case $labctl in /*) ;; *) labctl=$(pwd)/$labctl ;; esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$top" || exit 1

. "$top/tests/tap.sh"

# expect_exit CODE NAME -- CMD...: run CMD, stdout to $tmp/out, stderr to $tmp/err
expect_exit() {
	want=$1 name=$2
	shift 3
	"$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if test "$got" = "$want"; then
		ok "$name"
		return 0
	fi
	{ echo "exit $got, want $want"; echo "stderr:"; cat "$tmp/err"; } >"$tmp/why"
	not_ok "$name"
	return 1
}

# same NAME EXPECTED-FILE ACTUAL-FILE
same() {
	if diff -u "$2" "$3" >"$tmp/why"; then ok "$1"; else not_ok "$1"; fi
}

# write_bad_spec FILE: a spec with three mistakes on lines 8 and 10 (a
# month 13, a relative image path, an unknown key); t0002 checks the
# messages, others only that it is refused
write_bad_spec() {
	cat >"$1" <<'YAML'
lab: bad
provider: {type: static}
nodes:
  - name: d
    role: disk
    address: 10.0.0.1
    target:
      iqn: iqn.2016-13.com.example:x
      luns:
        - {name: l, image: lun.img, size: 1GiB, lunz: 2}
YAML
}
