{# Included by mount-test.sh and mount-verify.sh, after mount-lun.sh: #}
{# writes 1 MiB of random data to the file f, remounts p so that the read #}
{# comes from the LUN and not the page cache, checks the LUN is still what #}
{# is mounted there, and reads the file back: want and got are the sums. #}
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
