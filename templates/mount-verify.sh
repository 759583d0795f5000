{# A check of a lab that is up: write a fresh file, remount so the read #}
{# comes from the LUN, compare checksums, remove the file.  Only on the #}
{# LUN's own file system: the top mount on the path must have the LUN's #}
{# device as its source (see playbooks/mount-test.yaml). #}
# labctl: verify the mount on {{ mount.path | raw }}
{% include 'mount-lun.sh' %}
{% include 'mount-on-lun.sh' %}
on_lun "labctl writes to, and unmounts, no other"
f=$p/.labctl-check
{% include 'mount-readback.sh' %}
rm -f "$f"
if test "$want" != "$got"; then
	echo "$f read back differs from what was written" >&2
	exit 1
fi
echo "$p: wrote, remounted and read back, sha256 ${got%% *}"
