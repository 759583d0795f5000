# Sourced by tests/e2e/run and tests/bench/run: makes libvirt's system
# instance answer on qemu:///system.
#
#   start_libvirt PREFIX   ("e2e", "bench": what its messages start with)
#
# Returns non-zero with the reason in $libvirt_error when it cannot.
# PID 1 may not be systemd, so no socket activation: the daemons are
# started by hand when they do not run, and never stopped: others may be
# using them.
start_libvirt() {
	libvirt_error=
	# Where /dev/kvm exists but only root may open it (no udev to give it
	# to group kvm), libvirtd's probe of QEMU finds KVM while its check of
	# the cache finds QEMU's user cannot use it: every call then probes
	# QEMU again, seconds each under TCG, minutes per lab.  QEMU run as
	# root makes the two agree; the provider still picks TCG there (KVM is
	# not usable by guests on such a machine).  Read when libvirtd starts.
	qemu_conf=/etc/libvirt/qemu.conf
	if test -c /dev/kvm && test -f "$qemu_conf" &&
	   ! grep -q '^user = "root"' "$qemu_conf" &&
	   ! su -s /bin/sh libvirt-qemu -c 'test -r /dev/kvm && test -w /dev/kvm' 2>/dev/null; then
		printf '\n# labctl e2e: /dev/kvm is root'"'"'s only here; see tests/e2e/libvirt-daemons.sh\nuser = "root"\ngroup = "root"\n' >>"$qemu_conf"
		echo "$1: $qemu_conf: QEMU runs as root (/dev/kvm is root's only)"
		if pidof libvirtd >/dev/null; then
			echo "$1: warning: libvirtd runs already and was not started here; it reads this at its next start"
		fi
	fi
	if ! pidof virtlogd >/dev/null; then
		virtlogd -d || { libvirt_error="virtlogd does not start"; return 1; }
		echo "$1: started virtlogd (pid $(pidof virtlogd))"
	fi
	if ! virsh -q -c qemu:///system version >/dev/null 2>&1; then
		pidof libvirtd >/dev/null || libvirtd -d || { libvirt_error="libvirtd does not start"; return 1; }
		i=0
		until virsh -q -c qemu:///system version >/dev/null 2>&1; do
			i=$((i + 1))
			if test $i -gt 100; then
				libvirt_error="libvirtd does not answer on qemu:///system within 10 s"
				return 1
			fi
			sleep 0.1
		done
		echo "$1: started libvirtd (pid $(pidof libvirtd))"
	fi
}
