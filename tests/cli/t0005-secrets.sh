#!/bin/sh
# Secrets: plan shows them as *** and never reads them.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/chap.yaml" <<'YAML'
lab: chap
provider: {type: static}
nodes:
  - name: d
    role: disk
    address: 10.0.0.1
    target:
      luns: [{name: l, image: /l.img, size: 300MiB}]
      chap: {user: u1, password: {env: CLI_TEST_SECRET}}
  - name: h
    role: host
    address: 10.0.0.2
    initiator:
      mounts: [{disk: d, lun: l, path: /mnt/l}]
YAML
export CLI_TEST_SECRET=hunter2-do-not-print
expect_exit 0 "plan with chap" -- "$labctl" plan "$tmp/chap.yaml"
has "secret shown as ***" "printf '%s' *** >\"\$a/password\"" "$tmp/out"
hasnt "secret value never printed" "hunter2" "$tmp/out"
expect_exit 0 "plan --json with chap" -- "$labctl" plan --json "$tmp/chap.yaml"
hasnt "secret value not in json" "hunter2" "$tmp/out"
unset CLI_TEST_SECRET

finish
