#!/bin/sh
# Builds the Debian 12 guest image of the end-to-end tier: a raw ext4 file
# system on the whole disk (no partition table) converted to qcow2, and the
# kernel and initrd beside it for direct kernel boot (root=/dev/vda).
#
# Usage: tests/e2e/build-image.sh [OUTDIR]
#
# OUTDIR defaults to /var/cache/labctl-e2e/HASH, HASH a hash of this script
# (which holds the package list and every setting) and of the mirror, so a
# second run finds the image and only says where it is.  The default build
# also points the link /var/cache/labctl-e2e/debian12 at it, which is where
# the specs of tests/e2e/ look.  Progress goes to standard error; the one
# line on standard output is OUTDIR.
#
# What the guest expects from whoever boots it (the libvirt provider): the
# image as virtio disk vda, a NoCloud seed (ISO9660 labelled 'cidata') with
# the root SSH key and an ed25519 host key pair, a virtio NIC that gets its
# address by DHCP, and a serial console on ttyS0.  Root has no password.
set -eu

suite=bookworm
cache=/var/cache/labctl-e2e

# What the guest needs: the seed's stack (targetcli, open-iscsi, XFS), the
# tools the playbooks call (losetup, blkid, wipefs, findmnt: util-linux and
# mount, which debootstrap always installs; udevadm; mkfs.ext4; nft and
# iptables for the firewall paths; firewalld, disabled: the scenario that
# wants it starts it), sudo (for logins that are not root),
# multipath-tools (the multipath scenario; as Debian ships it, with no
# configuration of the image's), and what boots it (kernel, systemd, sshd, cloud-init; dbus for hostnamectl).
packages="linux-image-amd64 systemd-sysv udev dbus kmod iproute2 procps
openssh-server cloud-init targetcli-fb open-iscsi xfsprogs e2fsprogs nftables
iptables sudo firewalld libiscsi-bin fio multipath-tools"

say() { echo "build-image: $*" >&2; }
die() { echo "build-image: error: $*" >&2; exit 1; }

# The mirror apt uses here, for the suite: from one-line sources
# ("deb [opts] URI SUITE COMPONENTS") or deb822 stanzas (Types/URIs/Suites).
mirror_from_apt() {
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		test -f "$f" || continue
		awk -v suite="$suite" '
		$1 == "deb" {
			i = 2
			if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
			if ($(i + 1) == suite) { print $i; exit }
		}' "$f"
	done
	for f in /etc/apt/sources.list.d/*.sources; do
		test -f "$f" || continue
		awk -v suite="$suite" '
		BEGIN { RS = ""; FS = "\n" }
		{
			types = ""; uris = ""; suites = ""; enabled = 1
			for (i = 1; i <= NF; i++) {
				if ($i ~ /^Types:/) types = " " substr($i, 7) " "
				else if ($i ~ /^URIs:/) uris = substr($i, 6)
				else if ($i ~ /^Suites:/) suites = " " substr($i, 8) " "
				else if ($i ~ /^Enabled:[ \t]*no/) enabled = 0
			}
			if (enabled && types ~ /[ \t]deb[ \t]/ && suites ~ "[ \t]" suite "[ \t]") {
				split(uris, u, " "); print u[1]; exit
			}
		}' "$f"
	done
}

test "$(id -u)" = 0 || die "needs root (debootstrap, chroot)"
for t in debootstrap mke2fs qemu-img sha256sum; do
	command -v "$t" >/dev/null || die "'$t' is missing: run 'scripts/install-deps e2e'"
done

mirror=$(mirror_from_apt | head -n 1)
test -n "$mirror" || die "no '$suite' source in /etc/apt/sources.list or /etc/apt/sources.list.d"
hash=$( { cat "$0"; echo "$suite $mirror"; } | sha256sum | cut -c1-16)

if test $# -ge 1; then
	out=$1
	link=
else
	out=$cache/$hash
	link=$cache/debian12
fi

point_link() {
	test -n "$link" || return 0
	ln -sfn "$hash" "$link.new"
	mv -T "$link.new" "$link"
}

if test -f "$out/done" && test -f "$out/debian12.qcow2" &&
   test -f "$out/vmlinuz" && test -f "$out/initrd.img"; then
	point_link
	say "image up to date in $out (built $(cat "$out/done"))"
	echo "$out"
	exit 0
fi

start=$(date +%s)
work=$(mktemp -d /var/tmp/labctl-e2e-build.XXXXXX)
root=$work/root
cleanup() {
	# debootstrap and the chroot steps mount proc and sys in the root
	for m in $(findmnt -rn -o TARGET | grep "^$root/" | sort -r); do
		umount -l "$m" || true
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

say "debootstrap $suite from $mirror into $work"
debootstrap --variant=minbase --components=main "$suite" "$root" "$mirror" \
	>"$work/debootstrap.log" 2>&1 || {
	tail -n 30 "$work/debootstrap.log" "$root/debootstrap/debootstrap.log" >&2 2>/dev/null
	die "debootstrap failed"
}
say "debootstrap done after $(($(date +%s) - start)) s; installing the packages"

in_root() {
	chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"
}
# apt in the root resolves what debootstrap's --include does not (it
# cannot configure python3-cryptography in the right order); no service
# starts inside the build.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
cp /etc/resolv.conf "$root/etc/resolv.conf"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
apt_install() {
	# shellcheck disable=SC2086
	in_root apt-get install -y -q --no-install-recommends "$@" >>"$work/apt.log" 2>&1 ||
		{ tail -n 30 "$work/apt.log" >&2; die "apt-get install $* failed"; }
}
in_root apt-get update -q >"$work/apt.log" 2>&1 ||
	{ tail -n 30 "$work/apt.log" >&2; die "apt-get update failed"; }
# A small initrd that mounts root on virtio, made once when the kernel is
# installed: only the modules listed.
apt_install initramfs-tools
echo MODULES=list >"$root/etc/initramfs-tools/conf.d/labctl"
printf '%s\n' virtio_pci virtio_blk virtio_net ext4 >>"$root/etc/initramfs-tools/modules"
# shellcheck disable=SC2086
apt_install $packages
in_root apt-get clean
umount "$root/sys" "$root/proc"
rm -f "$root/usr/sbin/policy-rc.d" "$root/etc/resolv.conf"
in_root sh -c 'lsinitramfs /boot/initrd.img-*' >"$work/initrd.list"
for m in virtio_blk virtio_net ext4; do
	grep -q "/$m\.ko" "$work/initrd.list" || die "the initrd has no $m module"
done
say "packages installed after $(($(date +%s) - start)) s; configuring"

# The root file system is the whole of vda; no fsck at boot (the image is
# new every time), and no swap.
echo '/dev/vda / ext4 defaults,errors=remount-ro 0 0' >"$root/etc/fstab"
echo debian >"$root/etc/hostname"
printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$root/etc/hosts"

# DHCP on the NIC with systemd-networkd; cloud-init leaves the network alone.
cat >"$root/etc/systemd/network/50-labctl-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=ipv4
LinkLocalAddressing=no
IPv6AcceptRA=no
EOF
in_root systemctl -q enable systemd-networkd.service
# firewalld would close the portal of every other scenario's lab
in_root systemctl -q disable firewalld.service

# cloud-init: only the NoCloud seed (no probing of other clouds), only the
# modules that take the seed's hostname, files and keys.  No host keys of
# its own (ssh_genkeytypes: []): generating RSA keys under TCG takes long,
# and the seed brings an ed25519 pair.
cat >"$root/etc/cloud/cloud.cfg" <<'EOF'
# labctl end-to-end guest: NoCloud seed only
datasource_list: [NoCloud, None]
network: {config: disabled}
users: []
disable_root: true
ssh_pwauth: false
ssh_deletekeys: true
ssh_genkeytypes: []
preserve_hostname: false
manage_etc_hosts: true
cloud_init_modules:
  - seed_random
  - bootcmd
  - write_files
  - set_hostname
  - update_hostname
  - update_etc_hosts
  - ssh
cloud_config_modules:
  - runcmd
cloud_final_modules:
  - scripts-user
  - final-message
system_info:
  distro: debian
  paths:
    cloud_dir: /var/lib/cloud/
    templates_dir: /etc/cloud/templates/
  ssh_svcname: ssh
EOF
# Debian's 90_dpkg.cfg would list every datasource again; 05_logging.cfg
# stays, so cloud-init logs to /var/log/cloud-init.log and not at debug
# level to the serial console (which under TCG costs a minute).
rm -rf "$root/etc/cloud/cloud.cfg.d/90_dpkg.cfg" "$root/var/lib/cloud"
test -f "$root/etc/cloud/cloud.cfg.d/05_logging.cfg" || die "cloud-init has no 05_logging.cfg"

# sshd: keys only, for root too; host keys come from the seed, so none
# made inside the build (they would be the same in every guest).
rm -f "$root"/etc/ssh/ssh_host_*
cat >"$root/etc/ssh/sshd_config.d/labctl.conf" <<'EOF'
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
UseDNS no
EOF
in_root passwd -q -l root

# Each guest makes its own initiator name and machine id at first boot
# (open-iscsi's startup checks read GenerateName=yes; systemd fills an
# empty machine-id without treating the boot as the first one).
echo GenerateName=yes >"$root/etc/iscsi/initiatorname.iscsi"
: >"$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"

# Fast boot under TCG: no timers, no waiting for the network, logs in RAM.
in_root systemctl -q mask apt-daily.timer apt-daily-upgrade.timer \
	e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer \
	systemd-networkd-wait-online.service dpkg-db-backup.timer
# No drivers for what a guest has but does not use (the IDE and USB
# controllers and PS/2 mouse of QEMU's pc machine, sound, wireless): each
# module costs seconds to load and verify under TCG.
cat >"$root/etc/modprobe.d/labctl-e2e.conf" <<'EOF'
blacklist ata_piix
blacklist ata_generic
blacklist pata_acpi
blacklist uhci_hcd
blacklist ehci_pci
blacklist ehci_hcd
blacklist usbhid
blacklist psmouse
blacklist serio_raw
blacklist joydev
blacklist evdev
blacklist pcspkr
blacklist floppy
blacklist i2c_piix4
blacklist cfg80211
blacklist bochs
blacklist drm
blacklist snd_hda_intel
blacklist snd_pcsp
blacklist qemu_fw_cfg
EOF
mkdir -p "$root/etc/systemd/journald.conf.d"
printf '[Journal]\nStorage=volatile\n' >"$root/etc/systemd/journald.conf.d/labctl.conf"

kernel=$(ls "$root"/boot/vmlinuz-* | tail -n 1)
initrd=$(ls "$root"/boot/initrd.img-* | tail -n 1)
cp "$kernel" "$work/vmlinuz"
cp "$initrd" "$work/initrd.img"

# Nothing the guests need from the package caches.
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* \
	"$root"/var/log/*.log "$root"/var/cache/debconf/*-old

say "making the ext4 file system ($(du -sm "$root" | cut -f1) MiB of files)"
truncate -s 4G "$work/root.raw"
mke2fs -q -F -t ext4 -L labctl-root -d "$root" "$work/root.raw"
qemu-img convert -f raw -O qcow2 "$work/root.raw" "$work/debian12.qcow2"

mkdir -p "$out"
for f in debian12.qcow2 vmlinuz initrd.img; do
	chmod 644 "$work/$f"
	mv -f "$work/$f" "$out/$f"
done
chmod 755 "$out"
secs=$(($(date +%s) - start))
echo "$(date -u +%Y-%m-%dT%H:%M:%SZ) in $secs s from $mirror" >"$out/done"
point_link
say "built $out/debian12.qcow2, vmlinuz, initrd.img in $secs s"
echo "$out"
