{# Gathers a node's facts in one round trip: KEY=VALUE lines parsed by facts.c. #}
# labctl: facts
. /etc/os-release 2>/dev/null || true
echo "os_id=${ID:-unknown}"
case " ${ID:-} ${ID_LIKE:-} " in
*" rhel "*|*" centos "*|*" fedora "*) echo os_family=rhel ;;
*" debian "*|*" ubuntu "*) echo os_family=debian ;;
*) echo os_family=unknown ;;
esac
if command -v dnf >/dev/null 2>&1; then echo pkg=dnf
elif command -v yum >/dev/null 2>&1; then echo pkg=yum
elif command -v apt-get >/dev/null 2>&1; then echo pkg=apt
else echo pkg=none
fi
# Whether firewalld may run: a process named firewalld, or a Python one (it
# is a Python program).  firewall-cmd --state has the last word, but it
# starts Python, over a second under emulation: only where this says so.
maybe_firewalld() {
	for c in /proc/[0-9]*/comm; do
		read -r n <"$c" 2>/dev/null || continue
		case $n in firewalld|python*) return 0 ;; esac
	done
	return 1
}
# the firewall that is active, not merely installed: nothing to open otherwise
if command -v firewall-cmd >/dev/null 2>&1 && maybe_firewalld && firewall-cmd --state >/dev/null 2>&1; then echo firewall=firewalld
elif command -v nft >/dev/null 2>&1 && nft list ruleset 2>/dev/null | grep -q 'hook input'; then echo firewall=nftables
elif command -v iptables >/dev/null 2>&1 && iptables -S INPUT 2>/dev/null | grep -qv '^-P INPUT ACCEPT$'; then echo firewall=iptables
else echo firewall=none
fi
if command -v getenforce >/dev/null 2>&1; then echo "selinux=$(getenforce | tr 'A-Z' 'a-z')"; else echo selinux=none; fi
if test -d /run/systemd/system; then echo init=systemd; else echo init=other; fi
# TOOL:KEY, so that no process starts per tool
for t in targetcli:targetcli tgtadm:tgtadm iscsiadm:iscsiadm iscsi-ls:iscsi_ls \
	 qemu-storage-daemon:qemu_storage_daemon mkfs.xfs:mkfs_xfs mkfs.ext4:mkfs_ext4; do
	if command -v "${t%%:*}" >/dev/null 2>&1; then echo "has_${t#*:}=true"; else echo "has_${t#*:}=false"; fi
done
