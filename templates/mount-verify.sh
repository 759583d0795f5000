{# A check of a lab that is up: write a fresh file, remount so the read #}
{# comes from the LUN, compare checksums, remove the file.  Only on the #}
{# LUN's own file system: the top mount on the path must have the LUN's #}
{# device as its source (see playbooks/mount-test.yaml). #}
# labctl: verify the mount on {{ mount.path | raw }}
{% include 'mount-lun.sh' %}
if ! findmnt -rn -M "$p" >/dev/null; then
	echo "nothing is mounted on $p" >&2
	exit 1
fi
if ! lun "$(top)"; then
	echo "$p: the LUN's file system ($d) is not what is mounted there ($(findmnt -rn -o SOURCE,FSTYPE -M "$p" | tail -n 1) is): labctl writes to, and unmounts, no other" >&2
	exit 1
fi
f=$p/.labctl-check
{% include 'mount-readback.sh' %}
rm -f "$f"
if test "$want" != "$got"; then
	echo "$f read back differs from what was written" >&2
	exit 1
fi
echo "$p: wrote, remounted and read back, sha256 ${got%% *}"
