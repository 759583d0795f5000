#!/bin/sh
# Faults while "up" runs: a firewall that starts dropping packets, the
# target daemon killed, a node's sshd killed, the backing image's file
# system full, Ctrl-C; and faults before "down": the nodes' sshd killed,
# an undo that fails.  Each time: a bounded, clear failure that names the
# node and the task, a journal "down" can use, and nothing left after it.
#
# labctl is paused at a known step with LABCTL_TEST_STOP=journal:N (it
# stops itself with SIGSTOP after the Nth journal record), the fault is
# made, and it is continued.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t13 "$(subnet_for 14)"
sed -i 's/firewall: none/firewall: iptables/' "$spec"
h=$(lab_hash t13)
disks_ns=labctl-$h-disks
host_ns=labctl-$h-host
journal=$tmp/.labctl/t13/journal.jsonl

# up_paused N: starts "labctl up" stopping itself after journal record N;
# waits until it is stopped.  $up_pid is its pid.
up_paused() {
	LABCTL_TEST_STOP=journal:$1 "$labctl" up --on-failure keep "$spec" >"$tmp/up.out" 2>&1 &
	up_pid=$!
	i=0
	while test "$(sed 's/.*) //' /proc/$up_pid/stat 2>/dev/null | cut -c1)" != T; do
		i=$((i + 1))
		if test $i -gt 600 || ! kill -0 "$up_pid" 2>/dev/null; then
			echo "labctl up did not reach journal record $1" >"$tmp/why"
			return 1
		fi
		sleep 0.05
	done
}

# up_finish NAME WANT MAXSECONDS: continues the paused up; checks its exit
# status and that it ended within MAXSECONDS.
up_finish() {
	t0=$(date +%s)
	kill -CONT "$up_pid"
	wait "$up_pid"
	got=$?
	took=$(($(date +%s) - t0))
	if test "$got" = "$2" && test "$took" -le "$3"; then
		ok "$1 (exit $got after $took s)"
	else
		{ echo "exit $got after $took s, want $2 within $3 s:"; tail -30 "$tmp/up.out"; } >"$tmp/why"
		not_ok "$1"
	fi
}

# The step to break things at: the disk node's firewall task is journaled
# done, the host has not logged in yet.  Found from a complete run.
run "a complete up" 0 "$labctl" up "$spec"
n=$(grep -n '"type":"done".*open tcp/3260' "$journal" | cut -d: -f1)
n=$((n + 0))
run "down" 0 "$labctl" down "$spec"
no_residue "nothing left after the complete run"
if test "$n" -lt 8; then
	echo "no 'open tcp/3260' record in the journal" >"$tmp/why"
	not_ok "the firewall task is journaled"
	finish
	exit 1
fi

# -- A firewall that drops the portal's packets: the login is bounded.
if up_paused "$n"; then
	ip netns exec "$disks_ns" iptables -I INPUT 1 -p tcp --dport 3260 -j DROP
	up_finish "DROP on the portal mid-run: up fails, bounded" 1 90
	has "it names the host, the portal and the cause" "host cannot reach portal 10.231.14.10:3260 of disk 'disks': no answer within 2 s, so a firewall on the path drops the packets" "$tmp/up.out"
	hasnt "the login was not tried" "could not log in" "$tmp/up.out"
	has "it tells how to take the lab apart" "labctl down" "$tmp/up.out"
	ip netns exec "$disks_ns" iptables -D INPUT -p tcp --dport 3260 -j DROP
	run "down after the DROP" 0 "$labctl" down "$spec"
	no_residue "nothing left after the DROP"
else
	not_ok "paused before the login"
fi

# -- tgtd killed before the host logs in.
if up_paused "$n"; then
	for p in $(pids_in "$disks_ns" tgtd); do kill -9 "$p"; done
	up_finish "tgtd killed: up fails, bounded" 1 90
	has "it names the host, the portal and that nothing listens" "host cannot reach portal 10.231.14.10:3260 of disk 'disks': the connection is refused" "$tmp/up.out"
	has "it keeps the lab and tells how to take it apart" "labctl down" "$tmp/up.out"
	run "down after tgtd was killed" 0 "$labctl" down "$spec"
	no_residue "nothing left after tgtd was killed"
else
	not_ok "paused before the login"
fi

# -- The host's sshd and its sessions killed mid-run.
if up_paused "$n"; then
	for p in $(pids_in "$host_ns" sshd); do kill -9 "$p"; done
	up_finish "sshd of the host killed: up fails, bounded" 3 120
	has "it names the node it lost" "node 'host'" "$tmp/up.out"
	run "up again starts a new sshd and completes the lab" 0 "$labctl" up "$spec"
	run "check passes" 0 "$labctl" check "$spec"
	run "down" 0 "$labctl" down "$spec"
	no_residue "nothing left after sshd was killed"
else
	not_ok "paused before the login"
fi

# -- Both sshds killed on a lab that is up: tgtd, qemu-storage-daemon and
# the mount live on in the nodes' mount namespaces.  down starts each node's
# sshd again in there (its undo is still journaled) and undoes everything.
run "up" 0 "$labctl" up "$spec"
for p in $(pids_in "$disks_ns" sshd) $(pids_in "$host_ns" sshd); do kill -9 "$p"; done
run "down with the nodes' sshd gone" 0 "$labctl" down "$spec"
matches "it says it starts them again" "sshd of (disks|host) is gone; starting it again" "$tmp/out"
hasnt "no undo fails" "failed" "$tmp/out"
no_residue "nothing left after down brought the sshds back"

# -- Every process of both nodes killed at once, as when whatever ran the
# lab is killed.  The nodes' mount namespaces are kept by their pins, so
# the last process to exit does not tear one down: torn down, it would
# unmount the XFS that lies on qemu-storage-daemon's export, and with the
# daemon that last process it would hang in the kernel for good.
# With the export's daemon gone, the XFS on it fails once it is written
# to: a write in the kept namespace makes that certain.  It changes the
# lab's test file, whose inode the mount test's read-back left in memory,
# so that XFS has something to write (a new file needs blocks read first,
# which fail without shutting the file system down).  The undo that
# removes the test file then fails with an I/O error, down says so,
# --force goes on past it and keeps it (and the host node), and a later
# down (or --forget, if it fails again) leaves nothing.
run "up" 0 "$labctl" up "$spec"
all=$(ip netns pids "$disks_ns"; ip netns pids "$host_ns")
kill -9 $all 2>/dev/null
sleep 1
stuck=""
for p in $all; do
	if grep -qs '^State:[[:space:]]*D' /proc/"$p"/status; then stuck="$stuck $p"; fi
done
echo "in D state:$stuck" >"$tmp/why"
if test -z "$stuck"; then ok "no process of the lab hangs in the kernel"; else not_ok "no process of the lab hangs in the kernel"; fi
pin=/var/lib/labctl/netns/$h/pins/host
if test -f "$pin" && timeout 30 nsenter --mount="$pin" sh -c "touch $tmp/mnt/t13/abcd $tmp/mnt/t13/more; sync" 2>/dev/null; then :; fi
run "down after every process was killed fails on the dead file system" 1 timeout 120 "$labctl" down "$spec"
matches "down starts the sshds again in the kept namespaces" "sshd of (disks|host) is gone; starting it again" "$tmp/out"
matches "it names the undo and the I/O error" "host: write .*abcd.*undo failed: .*Input/output error" "$tmp/out"
# --force goes on past it and keeps it, with the host node it needs
run "down --force goes on past it" 1 timeout 120 "$labctl" down --force "$spec"
has "it keeps the undo that failed" "is partly down: 1 undo failed (listed above) and stays in the journal" "$tmp/out"
matches "and the host node, to reach it later" "kept +network namespace labctl-$h-host" "$tmp/out"
# The next down tries only that undo again.  The forced down went on to
# unmount the dead file system, so the test file's removal usually works
# now; when the unmount failed too, it fails again, and --forget gives it
# up (status 1 still: see EXIT STATUS in labctl(1)).
timeout 120 "$labctl" down "$spec" >"$tmp/out" 2>&1
rc=$?
if test $rc = 0; then
	ok "a later down finishes what --force kept"
	matches "it ran only what was left" "lab 't13' is down: [0-9]+ undone" "$tmp/out"
else
	matches "a later down tries what was left, and it fails again" "host: write .*abcd.*undo failed" "$tmp/out"
	run "down --forget gives it up" 1 timeout 120 "$labctl" down --forget "$spec"
	has "it is down, with the one undo given up" "is down, but 1 undo failed and was given up" "$tmp/out"
fi
no_residue "nothing left after every process was killed"

# -- An undo that fails: a shell sits in the host's mount, so it cannot be
# unmounted.  down names the undo, runs nothing after it and keeps the
# journal; once the shell is gone, up finds the lab whole and down works.
run "up" 0 "$labctl" up "$spec"
sshd_pid=$(pids_in "$host_ns" sshd | head -1)
nsenter -t "$sshd_pid" -m -n sh -c "cd '$tmp/mnt/t13' && exec sleep 300" &
sleeper=$!
i=0
while test "$(readlink /proc/$sleeper/cwd 2>/dev/null)" != "$tmp/mnt/t13" && test $i -lt 100; do
	i=$((i + 1))
	sleep 0.05
done
"$labctl" down --json "$spec" >"$tmp/down.json" 2>"$tmp/out"
got=$?
if test $got = 1; then ok "down with the mount busy fails"; else echo "exit $got" >"$tmp/why"; not_ok "down with the mount busy fails"; fi
matches "it names the node and the undo" "host.*failed.*(mount|umount)" "$tmp/out"
python3 - "$tmp/down.json" >"$tmp/why" 2>&1 <<'END'
import json, sys
d = json.load(open(sys.argv[1]))
assert d["format"] == "labctl-down/1", d["format"]
assert d["ok"] is False and d["failed"] == 1, (d["ok"], d["failed"])
failed = [s for s in d["steps"] if s["outcome"] == "failed"]
assert len(failed) == 1 and failed[0]["node"] == "host", failed
assert "busy" in failed[0]["error"], failed[0]["error"]
assert d["not_run"] == len(d["steps"]) - d["undone"] - 1 > 0, d["not_run"]
END
if test $? = 0; then ok "down --json names the failed undo and what was not run"; else not_ok "down --json names the failed undo and what was not run"; fi
test -s "$journal" && ok "the journal is kept" || not_ok "the journal is kept"
kill "$sleeper"
wait "$sleeper" 2>/dev/null
run "up again" 0 "$labctl" up "$spec"
# the undo before the unmount (the test file) had run: that one is done again
has "only what down undid is done again" "lab 't13' is up: 1 task changed" "$tmp/out"
run "check passes" 0 "$labctl" check "$spec"
run "down" 0 "$labctl" down "$spec"
no_residue "nothing left after the busy mount"

# -- Ctrl-C part-way: the running task finishes, no other starts.
if up_paused $((n + 2)); then
	kill -INT "$up_pid"
	up_finish "SIGINT: up stops" 1 60
	matches "it says how to take the lab apart" "interrupted.*labctl down" "$tmp/up.out"
	python3 - "$journal" >"$tmp/why" <<'PY'
import json, sys
open_tasks = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["type"] == "task":
        open_tasks[r["key"]] = r["seq"]
    elif r["type"] in ("done", "failed"):
        open_tasks.pop(r["key"], None)
for t, seq in open_tasks.items():
    print("task without a result:", seq, t)
sys.exit(1 if open_tasks else 0)
PY
	if test $? = 0; then ok "every task started has its result journaled"; else not_ok "every task started has its result journaled"; fi
	run "up after Ctrl-C completes the lab" 0 "$labctl" up "$spec"
	run "down" 0 "$labctl" down "$spec"
	no_residue "nothing left after Ctrl-C"
else
	not_ok "paused part-way"
fi

# -- The backing image's file system is full.
full=$tmp/full
mkdir -p "$full"
mount -t tmpfs -o size=64m tmpfs "$full"
sed "s|image: $tmp/images/t13-vol1.img|image: $full/vol1.img\n          allocation: allocated|" \
	"$spec" >"$tmp/full.yaml"
run "up with the image's file system full fails" 1 "$labctl" up "$tmp/full.yaml"
matches "it names the disk node and the backing image task" "disks.*backing image" "$tmp/out"
has "it shows the reason" "No space left on device" "$tmp/out"
run "down after disk full" 0 "$labctl" down "$tmp/full.yaml"
if test -e "$full/vol1.img"; then not_ok "the partial image is removed"; else ok "the partial image is removed"; fi
umount "$full"
no_residue "nothing left after disk full"
finish
