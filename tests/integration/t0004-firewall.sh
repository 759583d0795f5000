#!/bin/sh
# A firewall that drops the iSCSI port makes the host fail within seconds,
# naming the portal, before its login is tried.  The firewall is closed by a playbook directory whose
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
if test "$took" -le 20; then ok "it failed within 20 s ($took s), no hang"; else echo "took $took s" >"$tmp/why"; not_ok "it failed within 20 s"; fi
matches "the message says the portal does not answer" "host cannot reach portal .*: no answer within 2 s, so a firewall on the path drops the packets" "$tmp/out"
hasnt "the login was not tried" "could not log in" "$tmp/out"
no_residue "nothing of the lab is left"
finish
