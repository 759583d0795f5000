#!/bin/sh
# ssh-config: paths with quotes and backslashes reach ssh as they are.
. "$(dirname "$0")/lib.sh"

cat >"$tmp/quoted.yaml" <<'YAML'
lab: quoted
provider: {type: static}
ssh:
  key: "/keys/it's\\key"
  known_hosts: '/keys/known "hosts"\x'
nodes:
  - name: d
    role: disk
    address: 10.0.0.1
    target:
      luns: [{name: l, image: /l.img, size: 300MiB}]
YAML
expect_exit 2 "a '\"' in a path that goes into ssh_config is refused" -- "$labctl" validate "$tmp/quoted.yaml"
has "names the place" "quoted.yaml:5:16: 'known_hosts' cannot hold a control character" "$tmp/err"
sed -i "s|known_hosts: .*|known_hosts: '/keys/known\\\\\\\\hosts'|" "$tmp/quoted.yaml"
expect_exit 0 "ssh-config of paths with a quote and backslashes" -- \
	"$labctl" ssh-config --state-dir "$tmp/quoted-state" "$tmp/quoted.yaml"
cp "$tmp/out" "$tmp/quoted_config"
if ssh -G -F "$tmp/quoted_config" d >"$tmp/out" 2>"$tmp/err"; then ok "ssh reads the config"; else cp "$tmp/err" "$tmp/why"; not_ok "ssh reads the config"; fi
has "ssh sees the key path verbatim" "identityfile /keys/it's\\key" "$tmp/out"
has "ssh sees the known_hosts path verbatim" "userknownhostsfile /keys/known\\\\hosts" "$tmp/out"

finish
