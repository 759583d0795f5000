{# Writes a file of random data, remounts so the read comes from the LUN #}
{# and not the page cache, and compares checksums. #}
# labctl: mount test on {{ mount.path | raw }}
set -eu
f={{ mount.path }}/{{ mount.test_file }}
head -c 1048576 /dev/urandom > "$f"
want=$(sha256sum < "$f")
sync
umount {{ mount.path }}
mount -t {{ mount.fs }}{% if mount.options %} -o {{ mount.options }}{% endif %} {{ mount.device }} {{ mount.path }}
got=$(sha256sum < "$f")
if test "$want" != "$got"; then
	echo "$f read back differs from what was written" >&2
	exit 1
fi
echo "$f: written and read back over iSCSI, sha256 ${got%% *}"
