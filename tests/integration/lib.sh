# Shared by the integration tests: a private lab per test, a residue check,
# and the checks of tests/tap.sh.  Source it; LABCTL is the binary under test.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
labctl=${LABCTL:-$top/labctl}
tmp=$(mktemp -d /var/tmp/labctl-it.XXXXXX)
# for tests/integration/run: a directory whose owner is gone was left by a
# test killed before its end
echo $$ >"$tmp/owner"
. "$top/tests/tap.sh"

# run NAME CODE CMD...: CMD's stdout+stderr to $tmp/out; checks its exit code
run() {
	name=$1 want=$2
	shift 2
	"$@" >"$tmp/out" 2>&1
	got=$?
	if test "$got" = "$want"; then ok "$name"; return 0; fi
	{ echo "exit $got, want $want; output:"; tail -40 "$tmp/out"; } >"$tmp/why"
	not_ok "$name"
	return 1
}

# Subnets: one per test file, from its number, far from common ones.
subnet_for() { echo "10.231.$1.0/24"; }

# write_lab FILE NAME SUBNET [EXTRA-INITIATOR-YAML] [EXTRA-TARGET-YAML]
write_lab() {
	echo "$2" >>"$tmp/labs"
	cat >"$1" <<EOF
lab: $2
provider:
  type: netns
  subnet: $3
nodes:
  - name: disks
    role: disk
    target:
      iqn: iqn.2016-06.com.iscsi-disks:iscsi-disks
      backend: tgt
      firewall: none
      luns:
        - name: vol1
          image: $tmp/images/$2-vol1.img
          size: 320MiB
${5:-}
  - name: host
    role: host
    initiator:
      iqn: iqn.2016-06.com.iscsi-host:iscsi-host
      backend: libiscsi
      timeout: 5
${4:-}
      mounts:
        - disk: disks
          lun: vol1
          fs: xfs
          path: $tmp/mnt/$2
          test_file: abcd
EOF
}

# pids of the processes named $2 in network namespace $1
pids_in() {
	for p in $(ip netns pids "$1" 2>/dev/null); do
		if test "$(cat /proc/"$p"/comm 2>/dev/null)" = "$2"; then echo "$p"; fi
	done
}

# The hash labctl derives from a lab's state directory: it names the lab's
# namespaces, bridge, veths and runtime directory.
lab_hash() {
	printf '%s' "$tmp/.labctl/$1" | sha256sum | cut -c1-8
}

# What this test's labs may leave on this machine; compared before and
# after.  Only the labs of this test are looked at, so that other labs on
# the machine (another test, a person) do not count.
snapshot() {
	hashes=$(for l in $(cat "$tmp/labs" 2>/dev/null); do lab_hash "$l"; done)
	{
		# a new temporary directory means new hashes: nothing of them before
		for h in $hashes; do
			ip netns list 2>/dev/null | grep -o "^labctl-$h-[^ ]*" | sort
			ls /sys/class/net | grep "^lc$h" | sort
			ps -eo args= | grep -F "/var/lib/labctl/netns/$h/" | grep -v grep | sort
			ls -d "/var/lib/labctl/netns/$h" 2>/dev/null
		done
		echo "== loops"; losetup -a 2>/dev/null | grep -F "$tmp" | sort
		echo "== procs"
		for l in $(cat "$tmp/labs" 2>/dev/null); do
			ps -eo args= | grep -E '^qemu-storage-daemon' | grep -F "/run/labctl/$l/"
		done | sort
		echo "== mounts"; grep -F "$tmp" /proc/mounts | sort
		echo "== files"; find "$tmp/images" "$tmp/mnt" -mindepth 1 2>/dev/null | sort
	} >"$1"
}

no_residue() {
	snapshot "$tmp/after"
	if diff -u "$tmp/before" "$tmp/after" >"$tmp/why"; then ok "$1"; else not_ok "$1"; fi
}

need_root() {
	if test "$(id -u)" != 0; then
		echo "not ok - the integration tier needs root (network namespaces, loop devices): run 'sudo make check'"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

cleanup() {
	# a lab a failing test left up keeps its state in $tmp: take it
	# down before that goes, or nothing could take it down any more
	left=
	if test -d "$tmp/.labctl"; then
		for spec in "$tmp"/*.yaml; do
			"$labctl" down --force -q "$spec" >/dev/null 2>&1 || left="$left $spec"
		done
	fi
	# a lab down could not take apart keeps its journal: the next
	# tests/integration/run tries again (its owner is gone by then)
	if test -n "$left"; then
		echo "# not taken apart:$left; its state stays in $tmp"
	else
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT
need_root
mkdir -p "$tmp/images" "$tmp/mnt"
snapshot "$tmp/before"
