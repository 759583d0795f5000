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
# the firewall that is active, not merely installed: nothing to open otherwise
if command -v firewall-cmd >/dev/null 2>&1 && firewall-cmd --state >/dev/null 2>&1; then echo firewall=firewalld
elif command -v nft >/dev/null 2>&1 && nft list ruleset 2>/dev/null | grep -q 'hook input'; then echo firewall=nftables
elif command -v iptables >/dev/null 2>&1 && iptables -S INPUT 2>/dev/null | grep -qv '^-P INPUT ACCEPT$'; then echo firewall=iptables
else echo firewall=none
fi
if command -v getenforce >/dev/null 2>&1; then echo "selinux=$(getenforce | tr 'A-Z' 'a-z')"; else echo selinux=none; fi
if test -d /run/systemd/system; then echo init=systemd; else echo init=other; fi
for t in targetcli tgtadm iscsiadm iscsi-ls qemu-storage-daemon mkfs.xfs mkfs.ext4; do
	k=$(printf '%s' "$t" | tr '.-' '__')
	if command -v "$t" >/dev/null 2>&1; then echo "has_$k=true"; else echo "has_$k=false"; fi
done
