{# Writes a file of random data, remounts so the read comes from the LUN #}
{# and not the page cache, and compares checksums.  It writes to, and #}
{# unmounts, only the LUN's own file system: the top mount on the path #}
{# must have the LUN's device as its source (see playbooks/mount-test.yaml). #}
# labctl: mount test on {{ mount.path | raw }}
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
if ! lun "$(top)"; then
	echo "$p: the LUN's file system ($d) is not what is mounted there: labctl writes to, and unmounts, no other" >&2
	exit 1
fi
f=$p/{{ mount.test_file }}
head -c 1048576 /dev/urandom > "$f"
want=$(sha256sum < "$f")
sync
umount "$p"
mount -t {{ mount.fs }}{% if mount.options %} -o {{ mount.options }}{% endif %} "$d" "$p"
if ! lun "$(top)"; then
	echo "$p: after the remount, the LUN's file system ($d) is not what is mounted there" >&2
	exit 1
fi
got=$(sha256sum < "$f")
if test "$want" != "$got"; then
	echo "$f read back differs from what was written" >&2
	exit 1
fi
echo "$f: written and read back over iSCSI, sha256 ${got%% *}"
