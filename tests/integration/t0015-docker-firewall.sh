#!/bin/sh
# The local lab on a machine that runs Docker.  Docker sets the FORWARD
# policy of iptables to DROP and turns br_netfilter on, so every frame that
# crosses a Linux bridge, the lab's too, meets that policy.  This test
# builds that firewall in a network namespace of its own (labctl runs in
# it through nsenter --net, so the lab's bridge is made there) and never
# touches the firewall of the machine itself.  For iptables-nft (Docker's
# setup on Debian 12), nftables' own chains and iptables-legacy: up passes
# through one rule for the lab's bridge, down leaves the firewall exactly
# as it was, and without that rule a host's check fails within seconds
# and names the portal and the cause.
. "$(dirname "$0")/lib.sh"

outer=lcit15-$$
sysctl_file=/proc/sys/net/bridge/bridge-nf-call-iptables
inside() { nsenter --net="/run/netns/$outer" "$@"; }
# the machine's own firewall, compared at the end: its chains and
# policies, and any rule of labctl's or naming a lab bridge (others, such
# as libvirt's for a guest network, may come and go meanwhile)
machine_fw() {
	{ iptables-save 2>/dev/null; nft -s list ruleset 2>/dev/null
	  cat /proc/net/ip_tables_names 2>/dev/null; cat $sysctl_file 2>/dev/null; } |
		grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//g' |
		grep -E '^[*:]|policy|labctl|lc[0-9a-f]{8}|^[01]$|^[a-z]+$'
}
machine_fw >"$tmp/machine-before"

cleanup_outer() {
	for spec in "$tmp"/*.yaml; do
		test -d "$tmp/.labctl" && inside "$labctl" down --force -q "$spec" >/dev/null 2>&1
	done
	ip netns del "$outer" 2>/dev/null
	cleanup
}
trap cleanup_outer EXIT

ip netns add "$outer"
ip -n "$outer" link set lo up

# br_netfilter's switch is per network namespace on this kernel; without
# the module there is no such switch, and Docker would load it
if ! test -e $sysctl_file; then
	if modprobe br_netfilter 2>"$tmp/why"; then
		# loading it turns bridge filtering on in every namespace: put the
		# machine's own back as it was, off
		for f in iptables ip6tables arptables; do echo 0 >/proc/sys/net/bridge/bridge-nf-call-$f; done
		echo "# br_netfilter was not loaded: loaded it as Docker does, and turned it off again outside the test's namespace"
		machine_fw >"$tmp/machine-before"
	else
		not_ok "cannot reproduce Docker's firewall: br_netfilter is not available on this kernel"
		finish
		exit 1
	fi
fi
machine_br=$(cat $sysctl_file)
inside sh -c "echo 1 >$sysctl_file"
if test "$(inside cat $sysctl_file)" = 1 && test "$(cat $sysctl_file)" = "$machine_br"; then
	ok "bridge netfilter is on in the test's namespace, as Docker leaves it, and the machine's own setting is untouched"
else
	not_ok "bridge netfilter is on in the test's namespace only"
fi

# what the firewall of the test's namespace holds, without counters
fw_state() {
	case $1 in
	iptables-legacy) inside iptables-legacy-save ;;
	*) inside iptables-nft-save; inside nft -s list ruleset 2>/dev/null ;;
	esac | grep -v '^#' | sed 's/\[[0-9]*:[0-9]*\]//g'
}

spec=$tmp/lab.yaml
write_lab "$spec" t15 "$(subnet_for 16)"
bridge=lc$(lab_hash t15)

for fw in iptables-nft nftables iptables-legacy; do
	case $fw in
	iptables-nft)
		# Docker's own chains and policy, as dockerd makes them
		inside sh -e -c '
			iptables-nft -N DOCKER-USER; iptables-nft -A DOCKER-USER -j RETURN
			iptables-nft -N DOCKER-ISOLATION-STAGE-1; iptables-nft -A DOCKER-ISOLATION-STAGE-1 -j RETURN
			iptables-nft -A FORWARD -j DOCKER-USER
			iptables-nft -A FORWARD -j DOCKER-ISOLATION-STAGE-1
			iptables-nft -A FORWARD -o docker0 -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
			iptables-nft -A FORWARD -i docker0 ! -o docker0 -j ACCEPT
			iptables-nft -P FORWARD DROP' ;;
	nftables)
		inside nft -f - <<'EOF'
table inet filter {
	chain forward {
		type filter hook forward priority 0; policy drop;
		ct state established,related accept
	}
}
EOF
		;;
	iptables-legacy)
		inside sh -e -c 'iptables-legacy -P FORWARD DROP; iptables-legacy -A FORWARD -i docker0 -j ACCEPT' ;;
	esac
	fw_state $fw >"$tmp/fw-before"

	run "$fw: up passes through the machine's forward policy of drop" 0 inside "$labctl" up "$spec"
	matches "$fw: up shows the rule it added for the lab's bridge" "^local +firewall rule accepting bridge $bridge's traffic" "$tmp/out"
	has "$fw: the mount test passed" "written and read back over iSCSI" "$tmp/.labctl/t15/transcripts/host.log"
	case $fw in
	nftables) inside nft list chain inet filter forward >"$tmp/rules"
		has "$fw: the chain's policy is still drop" "hook forward priority filter; policy drop;" "$tmp/rules"
		sed -n '4p' "$tmp/rules" >"$tmp/first"
		has "$fw: the rule is the chain's first and accepts only the lab's bridge" "iifname \"$bridge\" oifname \"$bridge\" accept comment \"labctl:$bridge\"" "$tmp/first" ;;
	*) inside $fw -S FORWARD | sed -n 2p >"$tmp/first"
		matches "$fw: the rule is the chain's first and accepts only the lab's bridge" "^-A FORWARD -i $bridge -o $bridge -m comment --comment \"?labctl:$bridge\"? -j ACCEPT$" "$tmp/first" ;;
	esac
	run "$fw: check passes" 0 inside "$labctl" check "$spec"

	if test $fw = iptables-nft; then
		inside iptables-nft -D FORWARD -i "$bridge" -o "$bridge" -m comment --comment "labctl:$bridge" -j ACCEPT
		start=$(date +%s)
		run "without the rule, check fails" 1 inside "$labctl" check "$spec"
		took=$(( $(date +%s) - start ))
		if test "$took" -le 10; then ok "it failed within 10 s ($took s)"
		else echo "took $took s" >"$tmp/why"; not_ok "it failed within 10 s"; fi
		has "the message names the node, the portal and the cause" "host cannot reach portal 10.231.16.10:3260 of disk 'disks': no answer within 2 s, so a firewall on the path drops the packets" "$tmp/out"
		has "and where to look on a netns lab" "Docker sets its FORWARD policy to DROP" "$tmp/out"
		run "up puts the rule back" 0 inside "$labctl" up "$spec"
		matches "and says so" "^local +firewall rule accepting bridge $bridge's traffic" "$tmp/out"
		run "test (up, check, down) passes too" 0 inside "$labctl" test "$spec"
		run "up again" 0 inside "$labctl" up "$spec"
	fi

	run "$fw: down" 0 inside "$labctl" down "$spec"
	has "$fw: down removed the rule" "undone  firewall rule accepting bridge $bridge" "$tmp/out"
	fw_state $fw >"$tmp/fw-after"
	if diff -u "$tmp/fw-before" "$tmp/fw-after" >"$tmp/why"; then
		ok "$fw: the firewall is exactly as it was: rules, chains and policies"
	else
		not_ok "$fw: the firewall is exactly as it was: rules, chains and policies"
	fi
	inside ip -o link show | grep -v ': lo:' >"$tmp/links"
	if test -s "$tmp/links"; then cp "$tmp/links" "$tmp/why"; not_ok "$fw: no device of the lab is left"
	else ok "$fw: no device of the lab is left"; fi
	no_residue "$fw: nothing of the lab is left"

	# the next firewall on a clean namespace
	inside sh -c 'iptables-nft -F; iptables-nft -X; iptables-nft -P FORWARD ACCEPT; nft flush ruleset'
	if test $fw = iptables-legacy; then inside sh -c 'iptables-legacy -F; iptables-legacy -P FORWARD ACCEPT'; fi
done

# a bridge that nothing filters gets no rule
inside sh -c "echo 0 >$sysctl_file"
inside iptables-nft -P FORWARD DROP
run "without bridge netfilter: up" 0 inside "$labctl" up "$spec"
hasnt "no rule is added where no firewall sees the bridge" "firewall rule" "$tmp/out"
run "without bridge netfilter: down" 0 inside "$labctl" down "$spec"

machine_fw >"$tmp/machine-after"
if diff -u "$tmp/machine-before" "$tmp/machine-after" >"$tmp/why"; then
	ok "the machine's own firewall and bridge netfilter setting are as they were"
else
	not_ok "the machine's own firewall and bridge netfilter setting are as they were"
fi
finish
