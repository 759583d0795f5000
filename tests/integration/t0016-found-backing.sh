#!/bin/sh
# What a disk node holds before labctl comes: labctl never takes over,
# changes or removes it.  A file of exactly the LUN's size at the image
# path (it may hold data the host would format) and a file system of
# another size there are refused by the backing image task, and each is
# byte for byte as it was after up, down, down --force and test.  Also:
# disk nodes whose images share one directory on one file system come
# down with a plain down.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
img=$tmp/images/t16-vol1.img
write_lab "$spec" t16 "$(subnet_for 17)"

# sum FILE: its checksum, or "missing"
sum() { if test -e "$1"; then sha256sum <"$1" | cut -c1-64; else echo missing; fi; }

# same NAME FILE WANT: FILE still has checksum WANT
same() {
	got=$(sum "$2")
	if test "$got" = "$3"; then ok "$1"; else echo "checksum $got, want $3" >"$tmp/why"; not_ok "$1"; fi
}

# every verb on a lab whose image path holds someone's FILE
every_verb() {
	what=$1 before=$(sum "$img")
	run "$what: up refuses" 1 "$labctl" up "$spec"
	cp "$tmp/out" "$tmp/refusal"
	same "$what: untouched by up" "$img" "$before"
	run "$what: down" 0 "$labctl" down "$spec"
	same "$what: untouched by down" "$img" "$before"
	run "$what: up --on-failure keep" 1 "$labctl" up --on-failure keep "$spec"
	run "$what: down --force" 0 "$labctl" down --force "$spec"
	same "$what: untouched by down --force" "$img" "$before"
	run "$what: test fails" 1 "$labctl" test "$spec"
	same "$what: untouched by test" "$img" "$before"
}

# -- a file of exactly the LUN's size: the check would find it done
head -c $((320 << 20)) /dev/urandom >"$img"
every_verb "a file of the LUN's size"
matches "the refusal names the node, the task and the file" "^disks: create backing image $img \(320 MiB, sparse\): refused" "$tmp/refusal"
has "and says why" "this lab did not do it (its journal has no record of it): labctl takes over nothing it did not make" "$tmp/refusal"
hasnt "the host did not format it" "make xfs" "$tmp/refusal"
rm -f "$img"

# -- a file system of another size at the image path
truncate -s 64M "$img"
mkfs.ext4 -q -F "$img"
every_verb "a file system at the image path"
matches "the guard refuses it" "^disks: create backing image $img \(320 MiB, sparse\): refused by its guard" "$tmp/refusal"
has "naming the file and why" "$img: exists, and is not 335544320 bytes: labctl does not overwrite it" "$tmp/refusal"
rm -f "$img"

# -- the lab made the image: a second up adopts its own, down removes it
run "up of a lab whose image path is free" 0 "$labctl" up -q "$spec"
run "up again: the image is the lab's own" 0 "$labctl" up "$spec"
has "nothing changed" "is up; nothing changed" "$tmp/out"
run "down" 0 "$labctl" down "$spec"
if test -e "$img"; then not_ok "down removed the image it made"; else ok "down removed the image it made"; fi
no_residue "nothing of the lab is left"

# -- three disks whose images share one directory that up makes
shared=$tmp/images/shared
{
	printf 'lab: t16s\nprovider:\n  type: netns\n  subnet: %s\nnodes:\n' "$(subnet_for 17)"
	for d in d1 d2 d3; do
		printf '  - name: %s\n    role: disk\n    target:\n      iqn: iqn.2016-06.com.example:%s\n' $d $d
		printf '      backend: tgt\n      firewall: none\n      luns:\n'
		printf '        - {name: vol1, image: %s/%s.img, size: 320MiB}\n' "$shared" $d
	done
	printf '  - name: host\n    role: host\n    initiator:\n      backend: libiscsi\n      timeout: 5\n'
	printf '      mounts:\n        - {disk: d2, lun: vol1, fs: xfs, path: %s/mnt/t16s}\n' "$tmp"
} >"$tmp/shared.yaml"
echo t16s >>"$tmp/labs"
run "three disks, one image directory: up" 0 "$labctl" up -q "$tmp/shared.yaml"
run "a plain down takes it all apart" 0 "$labctl" down "$tmp/shared.yaml"
if test -d "$shared"; then not_ok "the shared directory is gone"; else ok "the shared directory is gone"; fi
no_residue "nothing of either lab is left"
finish
