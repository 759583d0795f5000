#!/bin/sh
# Handing the lab to other tools: ssh -F with the generated config reaches
# every node, ansible-inventory parses the inventory and lists every node,
# and labctl ssh runs a command on a node.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t11 "$(subnet_for 12)"
run "up" 0 "$labctl" up -q "$spec"

run "ssh-config" 0 "$labctl" ssh-config "$spec"
cp "$tmp/out" "$tmp/ssh_config"
matches "one Host per node" "^Host disks$" "$tmp/ssh_config"
has "host keys are checked" "StrictHostKeyChecking yes" "$tmp/ssh_config"
for node in disks host; do
	run "ssh -F reaches $node" 0 ssh -F "$tmp/ssh_config" -o BatchMode=yes "$node" 'echo reached $(ip -o -4 addr show eth0 | awk "{print \$4}")'
	matches "$node answered from its own address" "^reached 10\\.231\\.12\\." "$tmp/out"
done

run "inventory" 0 "$labctl" inventory "$spec"
cp "$tmp/out" "$tmp/inventory.yaml"
if command -v ansible-inventory >/dev/null; then
	run "ansible-inventory parses it" 0 ansible-inventory -i "$tmp/inventory.yaml" --list
	has "it lists the disk node" '"disks"' "$tmp/out"
	has "it lists the host node" '"host"' "$tmp/out"
	# every value comes marked unsafe (never templated): {"__ansible_unsafe": VALUE}
	has "with its address" '"__ansible_unsafe": "10.231.12.10"' "$tmp/out"
	run "ansible-inventory groups" 0 ansible-inventory -i "$tmp/inventory.yaml" --graph
	has "group disk holds disks" "@disk:" "$tmp/out"
else
	echo "ansible-inventory is missing (Debian package ansible-core): scripts/install-deps installs it" >"$tmp/why"
	not_ok "ansible-inventory parses the inventory"
fi

run "labctl ssh runs a command" 0 "$labctl" ssh "$spec" host -- hostname -I
has "on the host node" "10.231.12.11" "$tmp/out"
run "labctl ssh refuses an unknown node" 2 "$labctl" ssh "$spec" nosuch true
if test -f "$tmp/.labctl/t11/ssh_config"; then ok "labctl ssh keeps its config in the state directory"; else not_ok "labctl ssh keeps its config in the state directory"; fi
run "down" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left"
if test -e "$tmp/.labctl"; then ls -R "$tmp/.labctl" >"$tmp/why"; not_ok "down removed the state directory, ssh_config too"; else ok "down removed the state directory, ssh_config too"; fi

# a spec given by a relative path still gives a config usable anywhere
run "up again" 0 "$labctl" up -q "$spec"
(cd "$tmp" && "$labctl" ssh-config lab.yaml) >"$tmp/rel_config"
run "ssh -F from another directory" 0 sh -c "cd / && ssh -F '$tmp/rel_config' -o BatchMode=yes disks true"
run "down" 0 "$labctl" down "$spec"
no_residue "nothing of the lab is left at the end"
finish
