{# Writes a file of random data, remounts so the read comes from the LUN #}
{# and not the page cache, and compares checksums.  It writes to, and #}
{# unmounts, only the LUN's own file system: the top mount on the path #}
{# must have the LUN's device as its source (see playbooks/mount-test.yaml). #}
# labctl: mount test on {{ mount.path | raw }}
{% include 'mount-lun.sh' %}
if ! lun "$(top)"; then
	echo "$p: the LUN's file system ($d) is not what is mounted there: labctl writes to, and unmounts, no other" >&2
	exit 1
fi
f=$p/{{ mount.test_file }}
{% include 'mount-readback.sh' %}
if test "$want" != "$got"; then
	echo "$f read back differs from what was written" >&2
	exit 1
fi
echo "$f: written and read back over iSCSI, sha256 ${got%% *}"
