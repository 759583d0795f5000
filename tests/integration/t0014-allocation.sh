#!/bin/sh
# Backing images of each allocation: sparse writes nothing, allocated
# reserves every block (fallocate), zeroed writes every block with dd; all
# read as zeros, and an existing file of another size is never overwritten.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
img=$tmp/images
write_lab "$spec" t14 "$(subnet_for 15)" "" "        - name: vol2
          image: $img/t14-vol2.img
          size: 64MiB
          allocation: allocated
        - name: vol3
          image: $img/t14-vol3.img
          size: 64MiB
          allocation: zeroed"
size=$((64 << 20))

# allocated NAME FILE: the bytes FILE's blocks take on disk
allocated() { echo $(($(stat -c '%b * %B' "$1"))); }

# -- an existing image of another size is an error, and stays as it was
printf 'keep me\n' >"$img/t14-vol2.img"
run "up refuses to overwrite an image of another size" 1 "$labctl" up "$spec"
has "it names the backing image task" "backing image $img/t14-vol2.img" "$tmp/out"
has "it says why" "exists, and is not 67108864 bytes: labctl does not overwrite it" "$tmp/out"
if test "$(cat "$img/t14-vol2.img")" = "keep me"; then ok "the file is untouched"; else not_ok "the file is untouched"; fi
run "down after the refusal" 0 "$labctl" down "$spec"
if test "$(cat "$img/t14-vol2.img" 2>/dev/null)" = "keep me"; then ok "down leaves the file it did not make"; else not_ok "down leaves the file it did not make"; fi
rm -f "$img/t14-vol2.img"

run "up" 0 "$labctl" up -q "$spec"
for v in vol2 vol3; do
	f=$img/t14-$v.img
	if test "$(stat -c %s "$f")" = "$size"; then ok "$v: its size"; else stat -c %s "$f" >"$tmp/why"; not_ok "$v: its size"; fi
	a=$(allocated "$f")
	echo "$a bytes allocated of $size" >"$tmp/why"
	if test "$a" -ge "$size"; then ok "$v: every block is allocated"; else not_ok "$v: every block is allocated"; fi
	if cmp -s -n "$size" "$f" /dev/zero; then ok "$v: it reads as zeros"; else not_ok "$v: it reads as zeros"; fi
done
a=$(allocated "$img/t14-vol1.img")
echo "$a bytes allocated" >"$tmp/why"
# the mount test wrote a file system and a test file: far less than 320 MiB
if test "$a" -lt $((160 << 20)); then ok "vol1 (sparse) stays sparse"; else not_ok "vol1 (sparse) stays sparse"; fi
run "up again changes nothing" 0 "$labctl" up "$spec"
has "nothing changed" "is up; nothing changed" "$tmp/out"
run "down" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left"
finish
