#!/bin/sh
# Makes a Vagrant box for vagrant-libvirt from the e2e guest image, as the
# public boxes are made: a 'vagrant' user who accepts Vagrant's well-known
# insecure key and may run anything with sudo without a password, host keys
# made at first boot, DHCP on every NIC (systemd-networkd, which Vagrant
# also uses to set the private network's address), and no cloud-init.
#
# Usage: tests/e2e/build-box.sh IMAGE_DIR BOX_FILE
#
# IMAGE_DIR holds what tests/e2e/build-image.sh made (debian12.qcow2,
# vmlinuz, initrd.img).  BOX_FILE is the box to write (a tar that
# 'vagrant box add' takes).  The image has no boot loader, so the box
# carries the kernel and initrd and a Vagrantfile that boots them directly;
# that Vagrantfile also keeps every network of the machine isolated (no
# NAT, no forwarding): the management network is 192.168.57.0/24, and
# LABCTL_VAGRANT_POOL, when set, names the libvirt storage pool the box's
# volume and the machines' disks go to (vagrant-libvirt's default is the
# pool 'default').  Needs root (loop mount).
set -eu

say() { echo "build-box: $*" >&2; }
die() { echo "build-box: error: $*" >&2; exit 1; }

test $# = 2 || die "usage: build-box.sh IMAGE_DIR BOX_FILE"
img=$1 box=$2
test "$(id -u)" = 0 || die "needs root (loop mount)"
for f in debian12.qcow2 vmlinuz initrd.img; do
	test -f "$img/$f" || die "no $img/$f: run tests/e2e/build-image.sh"
done
for t in qemu-img tar chroot; do
	command -v "$t" >/dev/null || die "'$t' is missing"
done
# Vagrant's insecure public key, from the vagrant package
key=$(dpkg -L vagrant 2>/dev/null | grep '/keys/vagrant\.pub$' | head -n 1)
test -n "$key" && test -f "$key" || die "no keys/vagrant.pub: run 'scripts/install-deps vagrant'"

start=$(date +%s)
work=$(mktemp -d /var/tmp/labctl-e2e-box.XXXXXX)
mnt=$work/root
cleanup() {
	if mountpoint -q "$mnt"; then umount "$mnt" || umount -l "$mnt"; fi
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

qemu-img convert -f qcow2 -O raw "$img/debian12.qcow2" "$work/root.raw"
mkdir "$mnt"
mount -o loop "$work/root.raw" "$mnt"
in_root() { chroot "$mnt" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 "$@"; }

# No cloud-init: nothing seeds it, and Vagrant configures the machine.
touch "$mnt/etc/cloud/cloud-init.disabled"
# DHCP on any NIC that nothing else configures: after the file Vagrant
# writes for the private network (50-vagrant-IFACE.network), which
# systemd-networkd must read first to give that NIC its static address.
mv "$mnt/etc/systemd/network/50-labctl-dhcp.network" \
	"$mnt/etc/systemd/network/90-labctl-box-dhcp.network"

# The user Vagrant logs in as, with the key every box accepts (Vagrant
# replaces it with a key of its own at the first 'vagrant up').
in_root useradd -m -s /bin/bash -U vagrant
install -d -m 700 "$mnt/home/vagrant/.ssh"
install -m 600 "$key" "$mnt/home/vagrant/.ssh/authorized_keys"
in_root chown -R vagrant:vagrant /home/vagrant/.ssh
echo 'vagrant ALL=(ALL) NOPASSWD: ALL' >"$mnt/etc/sudoers.d/vagrant"
chmod 440 "$mnt/etc/sudoers.d/vagrant"

# Host keys of its own, made at first boot before sshd starts; ed25519
# only (RSA keys take long to make under TCG).
cat >"$mnt/etc/systemd/system/labctl-box-host-keys.service" <<'EOF'
[Unit]
Description=SSH host key of this machine (labctl's e2e Vagrant box)
Before=ssh.service
ConditionPathExists=!/etc/ssh/ssh_host_ed25519_key

[Service]
Type=oneshot
ExecStart=/usr/bin/ssh-keygen -q -t ed25519 -N "" -f /etc/ssh/ssh_host_ed25519_key

[Install]
WantedBy=ssh.service
EOF
in_root systemctl -q enable labctl-box-host-keys.service
echo HostKey /etc/ssh/ssh_host_ed25519_key >"$mnt/etc/ssh/sshd_config.d/labctl-box.conf"

umount "$mnt"
mkdir "$work/box"
qemu-img convert -f raw -O qcow2 "$work/root.raw" "$work/box/box.img"
rm -f "$work/root.raw"
cp "$img/vmlinuz" "$img/initrd.img" "$work/box/"
size=$(qemu-img info --output=json "$work/box/box.img" |
	sed -n 's/.*"virtual-size": *\([0-9]*\).*/\1/p')
printf '{"provider": "libvirt", "format": "qcow2", "virtual_size": %s}\n' \
	"$((size / 1073741824))" >"$work/box/metadata.json"
cat >"$work/box/Vagrantfile" <<'EOF'
# The box of labctl's e2e tier (tests/e2e/build-box.sh): an image with no
# boot loader, booted directly, on isolated networks only.
Vagrant.configure("2") do |config|
  config.vm.provider :libvirt do |lv|
    lv.driver = "qemu"
    lv.kernel = File.join(__dir__, "vmlinuz")
    lv.initrd = File.join(__dir__, "initrd.img")
    lv.cmd_line = "root=/dev/vda console=ttyS0 no_timer_check quiet"
    lv.disk_bus = "virtio"
    lv.graphics_type = "none"
    lv.video_type = "none"
    lv.random :model => "random"
    lv.management_network_name = "labctl-e2e-vagrant"
    lv.management_network_address = "192.168.57.0/24"
    lv.management_network_mode = "none"
    pool = ENV["LABCTL_VAGRANT_POOL"].to_s
    lv.storage_pool_name = pool unless pool.empty?
  end
end
EOF
tar -C "$work/box" -cf "$work/out.box" metadata.json Vagrantfile box.img vmlinuz initrd.img
mv -f "$work/out.box" "$box"
say "made $box ($(du -m "$box" | cut -f1) MiB) in $(($(date +%s) - start)) s"
