#!/bin/sh
# Unusual but valid characters in paths travel through spec, plan,
# templates and a real SSH round trip verbatim.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t8 "$(subnet_for 8)"
odd="$tmp/images/a+b,c:d@e=f%g_h-i.img"
sed -i "s|image: .*|image: $odd|; s|path: $tmp/mnt/t8|path: $tmp/mnt/x+y,z:w@v=u%t|" "$spec"
run "validate accepts it" 0 "$labctl" validate -q "$spec"
run "up" 0 "$labctl" up "$spec"
if test -f "$odd"; then ok "the image has exactly the name given"; else ls "$tmp/images" >"$tmp/why"; not_ok "the image has exactly the name given"; fi
has "the mount point arrived verbatim" "x+y,z:w@v=u%t/abcd: written and read back" "$tmp/.labctl/t8/transcripts/host.log"
run "down" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left"
finish
