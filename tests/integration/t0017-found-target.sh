#!/bin/sh
# What a disk node's tgtd serves before labctl comes: labctl never takes it
# over, changes or deletes it.  The nodes here are machines this lab did not
# make, as with the static provider on servers people use: two network
# namespaces with their own sshd (a netns lab stood up with playbooks that
# do nothing), on which someone started tgtd and made two targets, tid 1
# with a LUN on a file of theirs and a session from the other machine, and
# tid 3 with a CHAP account; the lab under test (static, tgt with CHAP)
# then comes and goes.  After each verb their targets, LUN, account and
# session are what they were, and the session still reads their file.  A
# target of the lab's IQN and an account of the lab's CHAP user that were
# made by hand are refused, naming node, task and object, and kept.  A
# tgtd the lab started keeps running after down when someone added a
# target to it.
. "$(dirname "$0")/lib.sh"

net=$(subnet_for 18)
pre=${net%.0/24}
iqn=iqn.2016-06.com.iscsi-disks:iscsi-disks
user_iqn=iqn.2000-01.org.example:data
spare_iqn=iqn.2000-01.org.example:spare
user_host=iqn.2000-01.org.example:their-host

# -- the machines: nodes made with playbooks that do nothing
noop=$tmp/noop
mkdir -p "$noop/playbooks" "$noop/templates"
cp "$top/templates/facts.sh" "$noop/templates/"
for p in backing:disk target-tgt:disk firewall:disk initiator-libiscsi:host mount-test:host; do
	printf 'playbook: %s\nrole: %s\ntasks: []\n' "${p%%:*}" "${p##*:}" >"$noop/playbooks/${p%%:*}.yaml"
done
machines=$tmp/machines.yaml
echo t17m >>"$tmp/labs"
cat >"$machines" <<EOF
lab: t17m
provider:
  type: netns
  subnet: $net
nodes:
  - name: disks
    role: disk
    target: {backend: tgt, firewall: none, luns: [{name: m, image: $tmp/images/unused.img, size: 1MiB}]}
  - name: disks2
    role: disk
    target: {backend: tgt, firewall: none, luns: [{name: m, image: $tmp/images/unused2.img, size: 1MiB}]}
  - name: host
    role: host
    initiator: {backend: libiscsi}
EOF
run "the machines come up" 0 "$labctl" up -q --playbook-dir "$noop" "$machines"
key=/var/lib/labctl/netns/$(lab_hash t17m)/client_key
on() { node=$1; shift; timeout 120 "$labctl" ssh "$machines" "$node" "$@"; }

# -- the lab under test: static, on those machines
spec=$tmp/lab.yaml
export T17_CHAP=Lab-Secret-0123
cat >"$spec" <<EOF
lab: t17
provider: {type: static}
ssh: {key: $key, known_hosts: $tmp/.labctl/t17m/known_hosts}
nodes:
  - name: disks
    role: disk
    address: $pre.10
    target:
      iqn: $iqn
      backend: tgt
      firewall: none
      luns:
        - {name: vol1, image: $tmp/images/t17-vol1.img, size: 320MiB}
      chap: {user: labuser, password: {env: T17_CHAP}}
  - name: host
    role: host
    address: $pre.12
    initiator:
      iqn: iqn.2016-06.com.iscsi-host:iscsi-host
      backend: libiscsi
      timeout: 5
      mounts:
        - {disk: disks, lun: vol1, fs: xfs, path: $tmp/mnt/t17, test_file: abcd}
EOF

# -- what someone made on the machines before the lab came
data=$tmp/images/their-data.img
head -c $((64 << 20)) /dev/urandom >"$data"
data_sum=$(sha256sum <"$data" | cut -c1-64)
on disks 'tgtd </dev/null >/dev/null 2>&1' >"$tmp/out" 2>&1
on disks "set -e
	i=0; until tgtadm --lld iscsi --mode system --op show >/dev/null 2>&1; do i=\$((i + 1)); test \$i -lt 100; sleep 0.1; done
	tgtadm --lld iscsi --mode target --op new --tid 1 --targetname $user_iqn
	tgtadm --lld iscsi --mode logicalunit --op new --tid 1 --lun 1 --backing-store $data
	tgtadm --lld iscsi --mode target --op bind --tid 1 --initiator-name $user_host
	tgtadm --lld iscsi --mode target --op new --tid 3 --targetname $spare_iqn
	tgtadm --lld iscsi --mode account --op new --user theiruser --password Their-Secret-456
	tgtadm --lld iscsi --mode account --op bind --tid 3 --user theiruser" >"$tmp/out" 2>&1
run "their tgtd serves tid 1 and tid 3" 0 sh -c "$labctl ssh $machines disks tgtadm --lld iscsi --mode target --op show | grep -qx 'Target 3: $spare_iqn'"
# their session: the other machine reads their LUN through a FUSE export
on host "set -e; : >/run/their-lun
	timeout 15 qemu-storage-daemon \
		--blockdev driver=iscsi,node-name=lun,transport=tcp,portal=$pre.10:3260,target=$user_iqn,lun=1,initiator-name=$user_host \
		--export type=fuse,id=export,node-name=lun,mountpoint=/run/their-lun \
		--pidfile /run/their-lun.pid --daemonize" >"$tmp/out" 2>&1

# theirs: what tgtadm shows of the targets (sessions included) and the
# accounts, without the lab's own target and account while $mine is set
mine=yes
theirs() {
	on disks "tgtadm --lld iscsi --mode target --op show; echo '== accounts'; tgtadm --lld iscsi --mode account --op show" 2>&1 |
		if test -n "$mine"; then
			awk -v iqn="$iqn" '/^Target [0-9]+: / { skip = $3 == iqn } /^== / { skip = 0 } !skip && $1 != "labuser"'
		else
			cat
		fi
}
theirs >"$tmp/theirs"
has "their session is there" "Initiator: $user_host" "$tmp/theirs"
matches "their account is bound to tid 3" "^        theiruser$" "$tmp/theirs"

# read_theirs: the checksum of what their session reads.  A read of a
# session whose target is gone can hang in the kernel, where no signal
# ends it: one that does not end within 60 s kills their daemon, which
# ends it, and the read fails
read_theirs() {
	on host 'sha256sum /run/their-lun & r=$!
		i=0; while kill -0 $r 2>/dev/null && test $i -lt 600; do sleep 0.1; i=$((i + 1)); done
		if kill -0 $r 2>/dev/null; then
			p=$(cat /run/their-lun.pid)
			if grep -q qemu-storage-daemon /proc/"$p"/cmdline; then kill -9 "$p"; fi
			echo "their session did not answer within 60 s, so its qemu-storage-daemon was killed" >&2
		fi
		wait $r' | cut -c1-64
}

# same WHAT: their targets, LUN, account and session as before; their file
# unchanged; and the session still reads it
same() {
	theirs >"$tmp/now"
	if diff -u "$tmp/theirs" "$tmp/now" >"$tmp/why"; then ok "$1: their targets, LUN, account and session are as before"; else not_ok "$1: their targets, LUN, account and session are as before"; fi
	got=$(sha256sum <"$data" | cut -c1-64)
	if test "$got" = "$data_sum"; then ok "$1: their file is unchanged"; else echo "sha256 $got, want $data_sum" >"$tmp/why"; not_ok "$1: their file is unchanged"; fi
	got=$(read_theirs 2>"$tmp/why")
	if test "$got" = "$data_sum"; then ok "$1: their session reads their file"; else not_ok "$1: their session reads their file"; fi
}

# -- the lab next to them
run "up beside their targets" 0 "$labctl" up "$spec"
has "the lab's mount test passed" "written and read back over iSCSI" "$tmp/.labctl/t17/transcripts/host.log"
same "after up"
on disks tgtadm --lld iscsi --mode target --op show >"$tmp/show" 2>&1
matches "the lab's target took tid 2, the lowest free one" "^Target 2: $iqn$" "$tmp/show"
run "up again changes nothing" 0 "$labctl" up "$spec"
has "nothing changed" "is up; nothing changed" "$tmp/out"
run "check" 0 "$labctl" check "$spec"
run "down" 0 "$labctl" down "$spec"
same "after down"
on disks tgtadm --lld iscsi --mode target --op show >"$tmp/show" 2>&1
hasnt "the lab's target is gone" "$iqn" "$tmp/show"
on disks tgtadm --lld iscsi --mode account --op show >"$tmp/show" 2>&1
hasnt "the lab's account is gone" "labuser" "$tmp/show"
run "their tgtd still runs" 0 "$labctl" ssh "$machines" disks tgtadm --lld iscsi --mode system --op show
run "test beside their targets" 0 "$labctl" test "$spec"
same "after test"

# every_verb WHAT: each verb on the lab while someone's WHAT is in its way
every_verb() {
	run "$1: up refuses" 1 "$labctl" up "$spec"
	cp "$tmp/out" "$tmp/refusal"
	same "$1: up"
	run "$1: down" 0 "$labctl" down "$spec"
	run "$1: up --on-failure keep" 1 "$labctl" up --on-failure keep "$spec"
	run "$1: down --force" 0 "$labctl" down --force "$spec"
	same "$1: down --force"
	run "$1: test fails" 1 "$labctl" test "$spec"
	same "$1: test"
}

# -- a target of the lab's IQN made by hand, with no LUN: not the lab's
on disks tgtadm --lld iscsi --mode target --op new --tid 7 --targetname "$iqn" >"$tmp/out" 2>&1
# from here on, everything in tgtd is someone else's
mine=
theirs >"$tmp/theirs"
every_verb "a target of the lab's IQN"
matches "the refusal names node, task and target" "^disks: configure target $iqn \(tgtadm\): refused by its guard" "$tmp/refusal"
has "and says whose it is" "tgtd has a target $iqn already (tid 7), which this lab did not make" "$tmp/refusal"
doesnt_match "nothing ran on the host" "export lun|make xfs" "$tmp/refusal"

# complete, as the spec asks: the check passes, but the lab did not make it
on disks "tgtadm --lld iscsi --mode logicalunit --op new --tid 7 --lun 1 --backing-store $data
	tgtadm --lld iscsi --mode target --op bind --tid 7 --initiator-name iqn.2016-06.com.iscsi-host:iscsi-host
	tgtadm --lld iscsi --mode account --op new --user labuser --password Not-The-Lab-000
	tgtadm --lld iscsi --mode account --op bind --tid 7 --user labuser" >"$tmp/out" 2>&1
theirs >"$tmp/theirs"
every_verb "a complete target of the lab's IQN"
matches "the refusal names node and task" "^disks: configure target $iqn \(tgtadm\): refused: its check finds this done already, but this lab did not do it" "$tmp/refusal"
on disks "tgtadm --lld iscsi --mode target --op delete --tid 7; tgtadm --lld iscsi --mode account --op delete --user labuser" >"$tmp/out" 2>&1

# -- an account of the lab's CHAP user made by hand
on disks tgtadm --lld iscsi --mode account --op new --user labuser --password Not-The-Lab-000 >"$tmp/out" 2>&1
theirs >"$tmp/theirs"
every_verb "an account of the lab's CHAP user"
matches "the refusal names node, task and account" "^disks: configure target $iqn \(tgtadm\): refused by its guard" "$tmp/refusal"
has "and says whose it is" "tgtd has a CHAP account labuser already, which this lab did not make" "$tmp/refusal"
on disks tgtadm --lld iscsi --mode account --op delete --user labuser >"$tmp/out" 2>&1

# -- a tgtd the lab started, to which someone then added a target
sed -e "s/address: $pre.10/address: $pre.11/" -e "s|t17-vol1.img|t17-vol2.img|" "$spec" >"$tmp/lab2.yaml"
sed -i 's/^lab: t17$/lab: t17b/' "$tmp/lab2.yaml"
run "a lab on a machine without tgtd" 0 "$labctl" up "$tmp/lab2.yaml"
on disks2 "tgtadm --lld iscsi --mode target --op new --tid 5 --targetname $spare_iqn" >"$tmp/out" 2>&1
on disks2 tgtadm --lld iscsi --mode target --op show >"$tmp/show" 2>&1
matches "their target is beside the lab's" "^Target 5: $spare_iqn$" "$tmp/show"
run "down" 0 "$labctl" down "$tmp/lab2.yaml"
on disks2 tgtadm --lld iscsi --mode target --op show >"$tmp/show" 2>&1
if test "$(sed -n 's/^Target [0-9]*: //p' "$tmp/show")" = "$spare_iqn"; then
	ok "the tgtd the lab started still serves their target, and only that"
else
	cp "$tmp/show" "$tmp/why"; not_ok "the tgtd the lab started still serves their target, and only that"
fi

# -- take the machines apart; their files were never the lab's.  A lab
# that failed to come down would keep its loop devices: --force first
"$labctl" down --force "$tmp/lab2.yaml" >/dev/null 2>&1
"$labctl" down --force "$spec" >/dev/null 2>&1
on host 'p=$(cat /run/their-lun.pid); kill "$p"; sleep 1
	if grep -q qemu-storage-daemon /proc/"$p"/cmdline 2>/dev/null; then kill -9 "$p"; fi
	umount -l /run/their-lun; true' >/dev/null 2>&1
run "the machines go" 0 "$labctl" down "$machines"
rm -f "$data"
no_residue "nothing of either lab is left"
finish
