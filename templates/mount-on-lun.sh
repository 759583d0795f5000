{# Included after mount-lun.sh by the checks that work in a mounted LUN #}
{# (mount-verify.sh, mount-fio.sh): "on_lun WHY" stops the script unless #}
{# the top mount on p is the LUN's file system, saying what is mounted #}
{# there and WHY that matters. #}
on_lun() {
	if ! findmnt -rn -M "$p" >/dev/null; then
		echo "nothing is mounted on $p" >&2
		exit 1
	fi
	if ! lun "$(top)"; then
		echo "$p: the LUN's file system ($d) is not what is mounted there ($(findmnt -rn -o SOURCE,FSTYPE -M "$p" | tail -n 1) is): $1" >&2
		exit 1
	fi
}
