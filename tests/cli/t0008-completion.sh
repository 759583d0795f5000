#!/bin/sh
# Bash completion, as bash runs it: verbs, option values, node names; and
# every verb's options, declared once in its table in src/main.c, are
# exactly those of the completion and of the man page's synopsis.
. "$(dirname "$0")/lib.sh"

complete_words() {
	PATH=$(dirname "$labctl"):$PATH bash -c '
		. /usr/share/bash-completion/bash_completion
		. "$1"
		shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		_labctl
		echo "${COMPREPLY[*]}"' sh "$top/scripts/labctl.bash-completion" "$@"
}
if test -r /usr/share/bash-completion/bash_completion; then
	test "$(complete_words labctl t)" = "test" && ok "completion: verbs" || not_ok "completion: verbs"
	test "$(complete_words labctl up --on-failure '')" = "keep destroy" && ok "completion: --on-failure values" || not_ok "completion: --on-failure values"
	test "$(complete_words labctl ssh examples/seed-lab.yaml '')" = "iscsi-disks iscsi-host" && ok "completion: node names from the spec" || not_ok "completion: node names from the spec"
	# every verb's options, as its table declares them (--help), are the
	# completion's and the man page's synopsis's
	awk '/^\.SH SYNOPSIS/ { s = 1; next } /^\.SH / { s = 0 } s' docs/labctl.1 | sed 's/\\-/-/g' |
		awk '/^\.br/ { print line; line = ""; next } { line = line " " $0 } END { print line }' >"$tmp/synopsis"
	# every verb labctl --help lists
	verbs=$("$labctl" --help | awk '/^verbs:/ { v = 1; next } v && /^  [a-z]/ { print $1 }')
	test -n "$verbs" && ok "labctl --help lists the verbs" || not_ok "labctl --help lists the verbs"
	for verb in $verbs; do
		"$labctl" "$verb" --help >"$tmp/help"
		grep -E '^  -' "$tmp/help" | sed 's/^  //; s/,//' | awk '{ print $1; if ($2 ~ /^--/) print $2 }' | sort >"$tmp/forms"
		grep -E '^  -' "$tmp/help" | sed 's/^  //; s/,//' | awk '{ print $1 }' | sort >"$tmp/ids"
		{ cat "$tmp/forms"; echo --help; } | sort >"$tmp/want"
		complete_words labctl "$verb" - | tr ' ' '\n' | grep . | sort >"$tmp/got"
		same "completion offers exactly the options of '$verb --help'" "$tmp/want" "$tmp/got"
		grep -E "^ \.B labctl \.B $verb( |$)" "$tmp/synopsis" | tr ' ' '\n' | grep -E '^-' | sort -u >"$tmp/man"
		same "labctl(1)'s synopsis of '$verb' names exactly the options of '$verb --help'" "$tmp/ids" "$tmp/man"
	done
else
	echo "bash-completion is missing: scripts/install-deps installs it" >"$tmp/why"
	not_ok "completion can be tested"
fi

finish
