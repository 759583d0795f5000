#!/bin/sh
# The libvirt provider with no libvirtd to answer: a clear error, and
# nothing left.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/lv.yaml" <<EOF
lab: lv
provider:
  type: libvirt
  uri: 'qemu+unix:///system?socket=$tmp/no-libvirt-sock'
  base_image: /var/lib/libvirt/images/base.qcow2
nodes:
  - {name: h, role: host}
EOF
expect_exit 1 "libvirt up without libvirtd" -- "$labctl" up --state-dir "$tmp/lv-state" "$tmp/lv.yaml"
has "names the uri" "cannot connect to libvirt at 'qemu+unix:///system?socket=$tmp/no-libvirt-sock'" "$tmp/err"
has "says how to start libvirtd" "'virtlogd -d; libvirtd -d'" "$tmp/err"
expect_exit 0 "libvirt ssh-config needs no libvirtd" -- "$labctl" ssh-config --state-dir "$tmp/lv-state" "$tmp/lv.yaml"
has "logs in as root with the lab's key" "IdentityFile $tmp/lv-state/libvirt/client_key" "$tmp/out"
expect_exit 0 "libvirt down after a failed up" -- "$labctl" down --state-dir "$tmp/lv-state" "$tmp/lv.yaml"
test ! -e "$tmp/lv-state" && ok "libvirt down leaves no state" || { echo "$tmp/lv-state is left" >"$tmp/why"; not_ok "libvirt down leaves no state"; }

finish
