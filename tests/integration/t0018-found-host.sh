#!/bin/sh
# What a host node holds before labctl comes, or puts there while a lab is
# up: labctl never formats, unmounts, writes to or edits it.
#
#  - someone's file system mounted at the mount path: up refuses naming
#    node, task and path; after up, up --on-failure keep, down --keep-nodes,
#    down --force and test it is still mounted there, its files as they were;
#    mounted in place of the lab's while the lab is up, check refuses it,
#    and down leaves it mounted (and its file named like the test file);
#  - someone's file system written on the LUN after the disk made it and
#    before the host formats it: refused (by the guard for another type, as
#    not made by this lab for the same type), and never wiped;
#  - an /etc/fstab with lines of its own: the lab adds its line and down
#    removes exactly that line, everything else byte for byte, mode and
#    owner kept, also after an undo that failed on a full or read-only
#    /etc; one that does not end with a newline is refused;
#  - open-iscsi's initiator name and session match, from the commands that
#    labctl plan renders, run against stand-ins for iscsiadm and systemctl
#    in a private mount namespace: a second lab does not overwrite the
#    first lab's backup of the name (it is refused), down restores the name
#    byte for byte, and a session of 110.0.0.1:3260 or of IQN2 is not taken
#    for the lab's.
#
# The nodes are network namespaces of this machine and share its file
# system: whatever a case puts on the host node (a mount, an /etc/fstab of
# its own) is made inside that node's mount namespace (through the pin
# labctl keeps of it), and the machine's own /etc/fstab and mounts are
# compared before and after.  To make a change at a known step, labctl
# stops itself (LABCTL_TEST_STOP=journal:N) and is continued.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t18 "$(subnet_for 19)"
h=$(lab_hash t18)
pin=/var/lib/labctl/netns/$h/pins/host
journal=$tmp/.labctl/t18/journal.jsonl
mnt=$tmp/mnt/t18
img=$tmp/images/t18-vol1.img
dev=/run/labctl/t18/disks-vol1.img
keep=$tmp/keep
mkdir -p "$keep"

# The machine's own fstab and the mounts where this test could leave one.
machine_state() {
	sha256sum /etc/fstab
	stat -c '%a %u:%g %s' /etc/fstab
	ls -a /etc | grep fstab
	findmnt -rn -o TARGET,SOURCE,FSTYPE | grep -E '^/(etc|mnt|var/tmp|run/labctl|srv)(/| |$)' | sort
}
machine_state >"$tmp/machine.before"

# on NODE-PIN CMD: runs CMD in that node's mount namespace
on() { nsenter --mount="$1" -- sh -c "$2"; }

# sum FILE: its checksum, or "missing"
sum() { if test -e "$1"; then sha256sum <"$1" | cut -c1-64; else echo missing; fi; }

# is NAME GOT WANT
is() {
	if test "$2" = "$3"; then ok "$1"; else printf 'got:  %s\nwant: %s\n' "$2" "$3" >"$tmp/why"; not_ok "$1"; fi
}

# paused N VERB ARGS...: starts labctl VERB ARGS, which stops itself after
# its Nth journal record, and waits until it is stopped ($bg is its pid)
paused() {
	n=$1
	shift
	LABCTL_TEST_STOP=journal:$n "$labctl" "$@" >"$tmp/bg.out" 2>&1 &
	bg=$!
	i=0
	while test "$(sed 's/.*) //' /proc/$bg/stat 2>/dev/null | cut -c1)" != T; do
		i=$((i + 1))
		if test $i -gt 1200 || ! kill -0 "$bg" 2>/dev/null; then
			wait "$bg"
			{ echo "labctl $* did not stop at journal record $n:"; tail -20 "$tmp/bg.out"; } >"$tmp/why"
			not_ok "labctl $1 stops at journal record $n"
			return 1
		fi
		sleep 0.05
	done
}

# resume NAME WANT: continues the stopped labctl; checks its exit status
resume() {
	kill -CONT "$bg"
	wait "$bg"
	got=$?
	cp "$tmp/bg.out" "$tmp/out"
	if test "$got" = "$2"; then ok "$1"; else { echo "exit $got, want $2:"; tail -30 "$tmp/out"; } >"$tmp/why"; not_ok "$1"; fi
}

# abandon NAME: kills the stopped labctl (it never goes on), says why
abandon() {
	kill -9 "$bg"
	wait "$bg"
	not_ok "$1"
}

# -- the lab as it should be, and the journal's record numbers for the
# steps below: the first task (every node made, no task run), and the
# host's export (the disk is done, the host has formatted nothing)
run "a complete up" 0 "$labctl" up "$spec"
n_task=$(grep -n '"type":"task"' "$journal" | head -1 | cut -d: -f1)
n_export=$(grep -n '"type":"task".*"name":"export lun' "$journal" | head -1 | cut -d: -f1)
# the lab's LUN, kept past down by a second link to its image
ln "$img" "$keep/lab.img"
if blkid -p -o value -s TYPE "$keep/lab.img" | grep -qx xfs; then ok "the lab made xfs on its LUN"; else not_ok "the lab made xfs on its LUN"; fi
run "down" 0 "$labctl" down "$spec"
if blkid -p "$keep/lab.img" >/dev/null 2>&1; then
	blkid -p "$keep/lab.img" >"$tmp/why"
	not_ok "down wiped the file system the lab made (its UUID is the lab's)"
else
	ok "down wiped the file system the lab made (its UUID is the lab's)"
fi
rm -f "$keep/lab.img"
if test "${n_task:-0}" -lt 2 || test "${n_export:-0}" -le "$n_task"; then
	echo "first task record ${n_task:-none}, export ${n_export:-none}" >"$tmp/why"
	not_ok "the journal shows the steps to stop at"
	finish
	exit 1
fi

# -- (c) someone's file system: ext4 in an image, with a file 'data' and a
# file named like the lab's test file, 'abcd', written without mounting it
user=$keep/user.img
truncate -s 32M "$user"
mkfs.ext4 -q -F "$user"
head -c 65536 /dev/urandom >"$keep/data"
debugfs -w -R "write $keep/data data" "$user" >/dev/null 2>&1
debugfs -w -R "write $keep/data abcd" "$user" >/dev/null 2>&1
data_sum=$(sum "$keep/data")
ls_user() { debugfs -R "ls" "$user" 2>/dev/null | tr -s ' \n' '\n\n' | grep -vE '^\(?[0-9]+\)?$|^$' | sort | tr '\n' ' '; }
user_ls=$(ls_user)
is "someone's file system holds data, abcd and lost+found" "$user_ls" ". .. abcd data lost+found "

mount_user() { on "$pin" "mount -o loop '$user' '$mnt'"; }

# user_mounted NAME: on the host node, someone's file system is the top
# mount on the mount path, and its files are as they were
user_mounted() {
	got=$(on "$pin" "s=\$(findmnt -rn -o SOURCE -M '$mnt' | tail -n 1) &&
		cat /sys/block/\${s#/dev/}/loop/backing_file &&
		sha256sum <'$mnt/data' | cut -c1-64 && sha256sum <'$mnt/abcd' | cut -c1-64 && ls -A '$mnt' | tr '\n' ' '" 2>&1 | tr '\n' ' ')
	is "$1" "$got" "$user $data_sum $data_sum abcd data lost+found "
}

# user_intact NAME: the node is gone; someone's image still holds exactly
# its files, read without mounting it
user_intact() {
	i=0
	while test -n "$(losetup -j "$user")" && test $i -lt 100; do i=$((i + 1)); sleep 0.1; done
	got="$(ls_user)$(debugfs -R 'cat data' "$user" 2>/dev/null | sha256sum | cut -c1-64) $(debugfs -R 'cat abcd' "$user" 2>/dev/null | sha256sum | cut -c1-64)"
	is "$1" "$got" "$user_ls$data_sum $data_sum"
}

mkdir -p "$mnt"
if paused "$n_task" up "$spec"; then
	mount_user
	resume "someone's file system at the mount path: up refuses" 1
	cp "$tmp/out" "$tmp/refusal"
	matches "the refusal names the node, the task and the path" "^host: mount $dev on $mnt: refused by its guard" "$tmp/refusal"
	matches "and what is mounted there" "$mnt: /dev/loop[0-9]+ ext4 is mounted there, which is not the LUN's $dev: labctl does not mount over it" "$tmp/refusal"
	hasnt "nothing was written to it" "written and read back" "$tmp/refusal"
	user_intact "untouched by up (and the down of up's --on-failure destroy)"
fi

if paused "$n_task" up --on-failure keep "$spec"; then
	mount_user
	resume "up --on-failure keep refuses" 1
	user_mounted "still mounted after up --on-failure keep, files as they were"
	run "down --keep-nodes" 0 "$labctl" down --keep-nodes "$spec"
	user_mounted "still mounted after down --keep-nodes, files as they were"
	run "up again on the kept nodes refuses again" 1 "$labctl" up --on-failure keep "$spec"
	matches "naming node, task and path" "^host: mount $dev on $mnt: refused by its guard" "$tmp/out"
	user_mounted "still mounted after the second up"
	run "down --force" 0 "$labctl" down --force "$spec"
	user_intact "untouched by down --force"
fi

if paused "$n_task" test "$spec"; then
	mount_user
	resume "test refuses it" 1
	user_intact "untouched by test"
fi
rmdir "$mnt"

# The lab's file system, unmounted by someone who then mounts their own
# there: check refuses to write to it or unmount it, up refuses to mount
# over it, and down neither removes its 'abcd' nor unmounts it.
run "up" 0 "$labctl" up "$spec"
on "$pin" "umount '$mnt'"
mount_user
run "check refuses a file system that is not the LUN's" 1 "$labctl" check "$spec"
has "naming the path" "$mnt: the LUN's file system ($dev) is not what is mounted there" "$tmp/.labctl/t18/transcripts/host.log"
user_mounted "check wrote nothing to it and left it mounted"
run "up refuses to mount over it" 1 "$labctl" up --on-failure keep "$spec"
matches "naming node, task and path" "^host: mount $dev on $mnt: refused by its guard" "$tmp/out"
user_mounted "up left it as it was"
run "down --keep-nodes" 0 "$labctl" down --keep-nodes "$spec"
user_mounted "down --keep-nodes left it mounted, and its abcd"
run "down" 0 "$labctl" down "$spec"
user_intact "down left its files as they were"
if test -d "$mnt"; then ok "the mount point someone mounted on stays"; else not_ok "the mount point someone mounted on stays"; fi
rmdir "$mnt" 2>/dev/null

# -- someone's file system on the LUN, written into the lab's image once
# the disk is done and before the host exports (and so formats) it
# found NAME MKFS...: stops at the export, makes the file system, goes on
found() {
	what=$1
	shift
	mkfs_cmd=$1
	shift
	if ! paused "$n_export" "$@"; then return 1; fi
	if ! tail -n 1 "$journal" | grep -q '"type":"task".*"name":"export lun'; then
		tail -n 1 "$journal" >"$tmp/why"
		abandon "$what: stopped before the host's export"
		"$labctl" down --force "$spec" >/dev/null 2>&1
		return 1
	fi
	$mkfs_cmd "$img" >/dev/null 2>&1
	ln -f "$img" "$keep/found.img"
	found_sum=$(sum "$img")
	resume "$what: $1 refuses" 1
	cp "$tmp/out" "$tmp/refusal"
}

if found "someone's ext4 on the LUN" "mkfs.ext4 -q -F" up "$spec"; then
	matches "the guard refuses it, naming node, task and device" "^host: make xfs on $dev: refused by its guard" "$tmp/refusal"
	matches "and what it holds" "$dev holds data labctl did not put there \(.*TYPE=ext4.*\): labctl does not format it" "$tmp/refusal"
	is "never written or wiped (up, and the down of --on-failure destroy)" "$(sum "$keep/found.img")" "$found_sum"
fi
if found "someone's xfs on the LUN" "mkfs.xfs -q -f" up --on-failure keep "$spec"; then
	matches "it is not adopted, naming node and task" "^host: make xfs on $dev: refused: its check finds this done already, but this lab did not do it" "$tmp/refusal"
	hasnt "nothing was mounted or written" "written and read back" "$tmp/refusal"
	is "never written to by up" "$(sum "$keep/found.img")" "$found_sum"
	run "down" 0 "$labctl" down "$spec"
	is "never wiped by down" "$(sum "$keep/found.img")" "$found_sum"
fi
if found "someone's ext4 on the LUN" "mkfs.ext4 -q -F" test "$spec"; then
	is "never written or wiped by test" "$(sum "$keep/found.img")" "$found_sum"
fi
rm -f "$keep/found.img"
no_residue "nothing of the lab is left"

# -- (d) an /etc/fstab of the host's own, in its mount namespace: an
# overlay on /etc whose upper layer is a small tmpfs (so that /etc can be
# filled up or made read-only there, and nowhere else)
fspec=$tmp/fstab.yaml
write_lab "$fspec" t18f "$(subnet_for 19)"
sed -i 's/^          test_file: abcd$/&\n          persist: true/' "$fspec"
fpin=/var/lib/labctl/netns/$(lab_hash t18f)/pins/host
fjournal=$tmp/.labctl/t18f/journal.jsonl
fmnt=$tmp/mnt/t18f
line="/run/labctl/t18f/disks-vol1.img $fmnt xfs _netdev,loop 0 0"
ov=$tmp/ov
mkdir -p "$ov"
printf '# /etc/fstab of the host node (its own, in its mount namespace)\nUUID=0a1b-2c3d\t/boot/efi\tvfat\tumask=0077\t0\t1\n\n# data, with trailing blanks\n/dev/sdz1 /srv/data ext4 defaults,noatime 0 2   ' >"$keep/fstab.nonl"
{ cat "$keep/fstab.nonl"; echo; } >"$keep/fstab.orig"
{ cat "$keep/fstab.orig"; printf '%s\n' "$line"; } >"$keep/fstab.lab"

# fstab_is NAME FILE: the host node's /etc/fstab is FILE byte for byte,
# mode 0640, owner 12:34, and no copy of labctl's is left beside it
fstab_is() {
	got="$(on "$fpin" "sha256sum </etc/fstab | cut -c1-64; stat -c '%a %u:%g' /etc/fstab; ls -a /etc | grep fstab" | tr '\n' ' ')"
	is "$1" "$got" "$(sum "$2") 640 12:34 fstab "
}

if paused "$n_task" up --on-failure keep "$fspec"; then
	on "$fpin" "mount -t tmpfs -o size=2m,mode=0700 t18 '$ov' && mkdir '$ov/upper' '$ov/work' &&
		cp '$keep/fstab.nonl' '$ov/upper/fstab' && chown 12:34 '$ov/upper/fstab' && chmod 0640 '$ov/upper/fstab' &&
		mount -t overlay t18 -o lowerdir=/etc,upperdir='$ov/upper',workdir='$ov/work' /etc"
	# labctl goes on only when the host node has its own /etc and no
	# task has come near /etc/fstab: the machine's is never touched
	if test "$(on "$fpin" "findmnt -rn -o FSTYPE -M /etc; sha256sum </etc/fstab | cut -c1-64" | tr '\n' ' ')" = "overlay $(sum "$keep/fstab.nonl") " &&
	   test "$(grep -c '"type":"task"' "$fjournal")" -le 2 && ! grep -q '"name":"add .*/etc/fstab' "$fjournal"; then
		resume "an fstab that does not end with a newline: up refuses" 1
		matches "naming node, task and file" "^host: add $fmnt to /etc/fstab: refused by its guard" "$tmp/out"
		has "and why" "/etc/fstab does not end with a newline: labctl does not edit it" "$tmp/out"
		fstab_is "that fstab is untouched" "$keep/fstab.nonl"

		on "$fpin" "echo >>/etc/fstab"
		run "up adds the lab's line" 0 "$labctl" up "$fspec"
		fstab_is "the lab's line is added, everything else byte for byte, mode and owner kept" "$keep/fstab.lab"
		run "up again" 0 "$labctl" up "$fspec"
		has "changes nothing" "is up; nothing changed" "$tmp/out"

		on "$fpin" "dd if=/dev/zero of='$ov/fill' bs=64k 2>/dev/null; true"
		run "/etc full: down stops at the fstab undo" 1 "$labctl" down --keep-nodes "$fspec"
		matches "naming node and task" "^host: add $fmnt to /etc/fstab: undo failed" "$tmp/out"
		fstab_is "/etc full: fstab untouched" "$keep/fstab.lab"
		on "$fpin" "rm -f '$ov/fill' && mount -o remount,bind,ro /etc"
		run "/etc read-only: down stops at the fstab undo" 1 "$labctl" down --keep-nodes "$fspec"
		matches "naming node and task" "^host: add $fmnt to /etc/fstab: undo failed" "$tmp/out"
		fstab_is "/etc read-only: fstab untouched" "$keep/fstab.lab"
		on "$fpin" "mount -o remount,bind,rw /etc"
		run "down --keep-nodes once /etc is writable" 0 "$labctl" down --keep-nodes "$fspec"
		fstab_is "down removed exactly the lab's line: the rest byte for byte, mode and owner kept" "$keep/fstab.orig"
	else
		{ on "$fpin" "findmnt -M /etc"; tail -3 "$fjournal"; } >"$tmp/why" 2>&1
		abandon "the host node has an /etc of its own before its tasks run"
	fi
	run "down --force" 0 "$labctl" down --force "$fspec"
fi
no_residue "nothing of either lab is left"

# -- open-iscsi (no kernel initiator here): the commands labctl plan renders
# for a host, run as they are against stand-ins for iscsiadm and systemctl
# that print what the real ones print, in a mount namespace of their own
# whose /etc is an overlay (nothing reaches this machine's /etc)
i=$tmp/iscsi
mkdir -p "$i/bin" "$i/ov"
for l in la lb; do
	cat >"$i/$l.yaml" <<EOF
lab: $l
provider: {type: static}
nodes:
  - name: disks
    role: disk
    address: 10.0.0.1
    target:
      iqn: iqn.2016-06.com.iscsi-disks:iscsi-disks
      luns: [{name: vol1, image: /var/tmp/$l.img, size: 320MiB}]
  - name: host
    role: host
    address: 10.0.0.2
    initiator:
      iqn: iqn.2016-06.com.iscsi-host:$l
      backend: open-iscsi
      mounts: [{disk: disks, lun: vol1, fs: xfs, path: /mnt/$l}]
EOF
	"$labctl" plan --json "$i/$l.yaml" >"$i/$l.json" || not_ok "plan of $l"
	# the host's task NAME's FIELD into $i/LAB.KEY.FIELD
	python3 - "$i/$l.json" "$i/$l" <<'EOF'
import json, sys
plan = json.load(open(sys.argv[1]))
host = [n for n in plan["nodes"] if n["name"] == "host"][0]
keys = {"set initiator name": "name", "log in to": "login", "verify the session": "session"}
for t in host["tasks"]:
    for prefix, key in keys.items():
        if t["name"].startswith(prefix):
            for field in ("check", "guard", "run", "undo"):
                open("%s.%s.%s" % (sys.argv[2], key, field), "w").write(t[field] or "")
EOF
done
cat >"$i/bin/iscsiadm" <<'EOF'
#!/bin/sh
echo "iscsiadm $*" >>"$STUB_LOG"
case " $* " in
*" -m session "*)
	if test -s "$STUB_SESSIONS"; then cat "$STUB_SESSIONS"; else echo "iscsiadm: No active sessions." >&2; exit 21; fi ;;
esac
EOF
printf '#!/bin/sh\necho "systemctl $*" >>"$STUB_LOG"\n' >"$i/bin/systemctl"
chmod +x "$i/bin/iscsiadm" "$i/bin/systemctl"
STUB_LOG=$i/log STUB_SESSIONS=$i/sessions PATH=$i/bin:$PATH
export STUB_LOG STUB_SESSIONS PATH

# session NAME WANT LINE: the login check and the session's verify task
# with LINE as the only session exit 0 (WANT=yes) or not; the login undo
# logs out (yes) or not
iqn=iqn.2016-06.com.iscsi-disks:iscsi-disks
session() {
	printf '%s\n' "$3" >"$i/sessions"
	: >"$i/log"
	c=no v=no u=no
	if sh "$i/la.login.check"; then c=yes; fi
	if sh "$i/la.session.run"; then v=yes; fi
	sh "$i/la.login.undo"
	if grep -q -- '--logout' "$i/log"; then u=yes; fi
	is "$1" "check $c, verify $v, undo logs out $u" "check $2, verify $2, undo logs out $2"
}
session "a session of 10.0.0.1:3260 to the lab's target is the lab's" yes "tcp: [1] 10.0.0.1:3260,1 $iqn (non-flash)"
session "one of 110.0.0.1:3260 is not" no "tcp: [2] 110.0.0.1:3260,1 $iqn (non-flash)"
session "one of 10.0.0.1:32600 is not" no "tcp: [3] 10.0.0.1:32600,1 $iqn (non-flash)"
session "one to ${iqn}2 is not" no "tcp: [4] 10.0.0.1:3260,1 ${iqn}2 (non-flash)"

# private SCRIPT: runs SCRIPT in a mount namespace of its own with an
# overlay on /etc and an /etc/iscsi in it; apply LAB runs the 'set
# initiator name' task of LAB as up does (check, guard, run), undo LAB its
# undo, state lists /etc/iscsi/initiatorname.iscsi* with mode and checksum
cat >"$i/lib.sh" <<EOF
set -u
mount -t tmpfs -o size=1m,mode=0700 t18i '$i/ov' && mkdir '$i/ov/upper' '$i/ov/work' &&
mount -t overlay t18i -o lowerdir=/etc,upperdir='$i/ov/upper',workdir='$i/ov/work' /etc &&
mkdir -p /etc/iscsi || { echo "no /etc of its own"; exit 1; }
c=$i
EOF
cat >>"$i/lib.sh" <<'EOF'
apply() {
	if sh "$c/$1.name.check" 2>/dev/null; then echo "$1 ok"
	elif ! sh "$c/$1.name.guard" 2>"$c/err"; then echo "$1 refused"
	elif sh "$c/$1.name.run" 2>"$c/err"; then echo "$1 changed"
	else echo "$1 failed"; fi
}
undo() { if sh "$c/$1.name.undo" 2>"$c/err"; then echo "$1 undone"; else echo "$1 undo failed"; fi; }
state() {
	for f in /etc/iscsi/initiatorname.iscsi*; do
		if test -e "$f"; then echo "$f $(stat -c %a "$f") $(sha256sum <"$f" | cut -c1-16)"; fi
	done
	echo .
}
orig() { printf '## the name this host had\nInitiatorName=iqn.1993-08.org.debian:01:someone\n' >/etc/iscsi/initiatorname.iscsi && chmod 600 /etc/iscsi/initiatorname.iscsi; }
EOF
private() { unshare -m --propagation private sh -c ". '$i/lib.sh'; $1" >"$tmp/out" 2>&1; tr '\n' ' ' <"$tmp/out"; }

got=$(private 'orig; b=$(state); apply la; apply lb; apply la; undo la; a=$(state); test "$a" = "$b" && echo same')
is "two labs: the second is refused, the first's down restores the name byte for byte" "$got" "la changed lb refused la ok la undone same "
got=$(private 'orig; b=$(state); apply la; undo lb; undo la; a=$(state); test "$a" = "$b" && echo same')
is "the undo of a lab that changed nothing changes nothing" "$got" "la changed lb undone la undone same "
got=$(private 'apply la; cat /etc/iscsi/initiatorname.iscsi; undo la; state')
is "no name before: up writes it, down removes it, nothing is left" "$got" "la changed InitiatorName=iqn.2016-06.com.iscsi-host:la la undone . "
got=$(private 'orig; b=$(state); apply la; echo InitiatorName=iqn.2003-01.org.example:later >/etc/iscsi/initiatorname.iscsi; apply la; cp "$c/err" "$c/err.up"; undo la; cat /etc/iscsi/initiatorname.iscsi; cmp -s /etc/iscsi/initiatorname.iscsi.labctl-saved-la /dev/stdin <<X && echo kept
## the name this host had
InitiatorName=iqn.1993-08.org.debian:01:someone
X')
is "a name set since is neither overwritten by up nor undone, and the one found is kept" "$got" "la changed la refused la undo failed InitiatorName=iqn.2003-01.org.example:later kept "
matches "up says why" "is not the name this lab set, and .*labctl-saved-la keeps the one this lab found" "$i/err.up"
has "the undo says why" "no longer holds this lab's name" "$i/err"

machine_state >"$tmp/machine.after"
if diff -u "$tmp/machine.before" "$tmp/machine.after" >"$tmp/why"; then
	ok "this machine's /etc/fstab and mounts are as they were"
else
	not_ok "this machine's /etc/fstab and mounts are as they were"
fi
finish
