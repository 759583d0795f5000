#!/bin/sh
# Hostile values in a spec are rejected before anything could run them.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/hostile.yaml" <<YAML
lab: "x\$(touch $tmp/pwned)"
provider: {type: static}
nodes:
  - name: "-oProxyCommand=touch $tmp/pwned"
    role: host
    address: "; touch $tmp/pwned"
YAML
expect_exit 2 "hostile names are refused" -- "$labctl" plan "$tmp/hostile.yaml"
has "lab name refused" "invalid lab name" "$tmp/err"
has "leading '-' refused" "'name' must not start with '-'" "$tmp/err"
has "address refused" "bad address" "$tmp/err"
if test -e "$tmp/pwned"; then not_ok "nothing was executed"; else ok "nothing was executed"; fi

finish
