{# A check of a lab that is up: write a fresh file, remount so the read #}
{# comes from the LUN, compare checksums, remove the file. #}
# labctl: verify the mount on {{ mount.path | raw }}
set -eu
if ! findmnt -rn --mountpoint {{ mount.path }} >/dev/null; then
	echo "nothing is mounted on {{ mount.path | raw }}" >&2
	exit 1
fi
f={{ mount.path }}/.labctl-check
head -c 1048576 /dev/urandom > "$f"
want=$(sha256sum < "$f")
sync
umount {{ mount.path }}
mount -t {{ mount.fs }}{% if mount.options %} -o {{ mount.options }}{% endif %} {{ mount.device }} {{ mount.path }}
got=$(sha256sum < "$f")
rm -f "$f"
if test "$want" != "$got"; then
	echo "$f read back differs from what was written" >&2
	exit 1
fi
echo "{{ mount.path | raw }}: wrote, remounted and read back, sha256 ${got%% *}"
