{# A check of a lab that is up: write a fresh file, remount so the read #}
{# comes from the LUN, compare checksums, remove the file.  Only on the #}
{# LUN's own file system: the top mount on the path must have the LUN's #}
{# device as its source (see playbooks/mount-test.yaml). #}
# labctl: verify the mount on {{ mount.path | raw }}
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
if ! findmnt -rn -M "$p" >/dev/null; then
	echo "nothing is mounted on $p" >&2
	exit 1
fi
if ! lun "$(top)"; then
	echo "$p: the LUN's file system ($d) is not what is mounted there ($(findmnt -rn -o SOURCE,FSTYPE -M "$p" | tail -n 1) is): labctl writes to, and unmounts, no other" >&2
	exit 1
fi
f=$p/.labctl-check
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
rm -f "$f"
if test "$want" != "$got"; then
	echo "$f read back differs from what was written" >&2
	exit 1
fi
echo "$p: wrote, remounted and read back, sha256 ${got%% *}"
