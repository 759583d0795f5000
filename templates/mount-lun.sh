{# Included by mount-test.sh, mount-verify.sh and mount-fio.sh: p is the #}
{# mount path, d the LUN's device; "lun MAJ:MIN" is true when MAJ:MIN is #}
{# that device (or, for a loop device, the loop device over it), and top #}
{# prints the MAJ:MIN of the top mount on p. #}
set -eu
p={{ mount.path }}
d={{ mount.device }}
lun() {
	test -n "$1" &&
{% if mount.loop %}
	l=$(readlink -f /sys/dev/block/"$1") && test "$(cat "$l/loop/backing_file")" = "$d"
{% else %}
	test "$1" = "$(stat -L -c '%t %T' "$d" | { read -r a b && printf '%d:%d' "0x$a" "0x$b"; })"
{% endif %}
} 2>/dev/null
top() { findmnt -rn -o MAJ:MIN -M "$p" | tail -n 1; }
