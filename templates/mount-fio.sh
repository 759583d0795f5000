{# A workload check of a lab that is up: fio on a file of its own in the #}
{# LUN's file system, its JSON report on standard output for labctl to #}
{# read (metrics: fio).  Only on the LUN's own file system, as the mount #}
{# test: the top mount on the path must have the LUN's device as its #}
{# source (see playbooks/mount-test.yaml).  The file is made here, never #}
{# taken over: one of that name that someone else made is refused, and #}
{# the file is removed however fio ends. #}
# labctl: fio on {{ mount.path | raw }}
{% include 'mount-lun.sh' %}
{% include 'mount-on-lun.sh' %}
if ! command -v fio >/dev/null 2>&1; then
	echo "fio is not installed: labctl up installs it where it knows the package manager" >&2
	exit 1
fi
on_lun "labctl runs fio on no other"
f={{ mount.fio.file }}
{# noclobber: created here or not at all, also for a dangling symlink #}
if ! (set -C && : > "$f") 2>/dev/null; then
	echo "$f exists, and this check did not make it: labctl neither writes to it nor removes it (one an earlier check left behind goes with the lab, or remove it by hand)" >&2
	exit 1
fi
trap 'rm -f "$f"' EXIT
trap 'exit 1' HUP INT TERM
{# fio stops well within the task's timeout, so that the trap still runs #}
set +e
timeout -k 5 $(({{ mount.fio.timeout }} - 15)) fio --name=labctl --filename="$f" \
	--rw={{ mount.fio.rw }} --bs={{ mount.fio.bs }} --size={{ mount.fio.size }} \
	--runtime={{ mount.fio.runtime }} --time_based \
	--iodepth={{ mount.fio.iodepth }} --numjobs={{ mount.fio.numjobs }} \
	--direct={% if mount.fio.direct %}1{% else %}0{% endif %} --ioengine=libaio \
	--output-format=json
s=$?
if test "$s" = 124 || test "$s" = 137; then
	echo "fio did not finish within $(({{ mount.fio.timeout }} - 15)) s and was stopped" >&2
fi
exit "$s"
