# TAP-like reporting and the file checks every shell harness shares
# (tests/cli/lib.sh, tests/integration/lib.sh source it): ok, not_ok with
# the reason in $tmp/why, finish, and has/hasnt (a fixed string) and
# matches/doesnt_match (an extended regular expression) on a file.
# The sourcing harness sets $tmp first.
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
not_ok() {
	failed=$((failed + 1))
	echo "not ok - $1"
	if test -s "$tmp/why"; then sed 's/^/#   /' "$tmp/why"; fi
}
finish() {
	echo "$passed passed, $failed failed"
	test "$failed" = 0
}

# has NAME STRING FILE: FILE holds STRING, a fixed string (grep -F);
# hasnt NAME STRING FILE: it does not
has() {
	if grep -qF -- "$2" "$3"; then ok "$1"; else { echo "'$2' not in $3:"; tail -30 "$3"; } >"$tmp/why"; not_ok "$1"; fi
}

hasnt() {
	if grep -qF -- "$2" "$3"; then { echo "'$2' found in $3:"; grep -F -- "$2" "$3" | head; } >"$tmp/why"; not_ok "$1"; else ok "$1"; fi
}

# matches NAME REGEX FILE: a line of FILE matches the extended regular
# expression REGEX (grep -E); doesnt_match NAME REGEX FILE: none does
matches() {
	if grep -qE -- "$2" "$3"; then ok "$1"; else { echo "/$2/ not in $3:"; tail -30 "$3"; } >"$tmp/why"; not_ok "$1"; fi
}

doesnt_match() {
	if grep -qE -- "$2" "$3"; then { echo "/$2/ found in $3:"; grep -E -- "$2" "$3" | head; } >"$tmp/why"; not_ok "$1"; else ok "$1"; fi
}
