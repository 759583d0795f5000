#!/bin/sh
# A firewall that drops the iSCSI port makes the initiator fail within its
# timeout, not hang.  The firewall is closed by a playbook directory whose
# firewall playbook adds a DROP rule (a test double for a hostile network).
. "$(dirname "$0")/lib.sh"

pb=$tmp/playbooks-drop
mkdir -p "$pb"
cp -r "$top/playbooks" "$top/templates" "$pb/"
cat >"$pb/playbooks/firewall.yaml" <<'YAML'
playbook: firewall
role: disk
tasks:
  - name: drop tcp/{{ port }} (test double)
    foreach: port in target.ports
    check: iptables -C INPUT -p tcp --dport {{ port }} -j DROP 2>/dev/null
    run: iptables -I INPUT 1 -p tcp --dport {{ port }} -j DROP
    undo: iptables -D INPUT -p tcp --dport {{ port }} -j DROP
    provides: target-ready
YAML
spec=$tmp/lab.yaml
write_lab "$spec" t4 "$(subnet_for 4)"
start=$(date +%s)
run "up fails" 1 "$labctl" up --playbook-dir "$pb" "$spec"
took=$(( $(date +%s) - start ))
if test "$took" -le 40; then ok "it failed within 40 s ($took s), no hang"; else echo "took $took s" >"$tmp/why"; not_ok "it failed within 40 s"; fi
has "the message says it timed out" "could not log in to .* within 5 s" "$tmp/out"
no_residue "nothing of the lab is left"
finish
