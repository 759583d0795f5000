#!/bin/sh
# The firewall playbook for real: with iptables and with nftables the port
# is opened in the disk node's own firewall, the lab works through it, and
# down removes exactly the rule up added.
. "$(dirname "$0")/lib.sh"

for kind in iptables nftables; do
	lab=t9$kind
	spec=$tmp/$kind.yaml
	write_lab "$spec" "$lab" "$(subnet_for 9)"
	sed -i "s/firewall: none/firewall: $kind/" "$spec"
	ns=labctl-$(lab_hash "$lab")-disks
	run "$kind: up" 0 "$labctl" up "$spec"
	has "$kind: the mount test passed through the firewall" "written and read back over iSCSI" "$tmp/.labctl/$lab/transcripts/host.log"
	if test $kind = iptables; then
		ip netns exec "$ns" iptables -S INPUT >"$tmp/rules"
		matches "iptables: the rule is tagged with the lab" "--dport 3260 .*labctl:$lab.* -j ACCEPT" "$tmp/rules"
	else
		ip netns exec "$ns" nft list chain inet filter input >"$tmp/rules"
		has "nftables: the rule is tagged with the lab" "tcp dport 3260 accept comment \"labctl:$lab:3260\"" "$tmp/rules"
	fi
	run "$kind: a second up changes nothing" 0 "$labctl" up "$spec"
	has "$kind: nothing changed" "nothing changed" "$tmp/out"
	# look at the rules before down deletes the namespace with them
	"$labctl" down "$spec" >"$tmp/out" 2>&1
	has "$kind: down removed the rule" "undone  open tcp/3260 in $kind" "$tmp/out"
	no_residue "$kind: nothing of the lab is left"
done
finish
