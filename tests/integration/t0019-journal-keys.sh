#!/bin/sh
# What down trusts, and what outlives a lab.  A journal runs only in its
# own state directory, and only when every undo it holds names the lab's
# own objects: a copied state directory, or a crafted record that reaches
# outside the lab, is refused before anything runs.  A state directory of
# someone else's files is refused, and down removes only labctl's files.
# The host keys of nodes labctl did not make (static) are kept across
# labs, and ~/.ssh/known_hosts is consulted but never written.  The
# Ansible inventory marks every value unsafe.
. "$(dirname "$0")/lib.sh"

spec=$tmp/lab.yaml
write_lab "$spec" t19 "$(subnet_for 20)"
hash=$(lab_hash t19)
state=$tmp/.labctl/t19
journal=$state/journal.jsonl
run "up" 0 "$labctl" up -q "$spec"
matches "the journal starts with the record that binds it to its state directory" \
	"^\{\"seq\":1,\"time\":\"[^\"]*\",\"type\":\"lab\",\"state_dir\":\"$state\",\"hash\":\"$hash\",\"lab_id\":\"[0-9a-f]{32}\"\}$" "$journal"
matches "and a .gitignore keeps the state out of a repository" '^\*$' "$state/.gitignore"

# -- a copy of the state directory elsewhere is not that lab
mkdir -p "$tmp/copy/.labctl"
cp -a "$state" "$tmp/copy/.labctl/"
cp "$spec" "$tmp/copy/lab.yaml"
run "down of a copied state directory is refused" 1 "$labctl" down "$tmp/copy/lab.yaml"
has "it names both places" "was written for the lab whose state directory is '$state', not '$tmp/copy/.labctl/t19'" "$tmp/out"
hasnt "and undoes nothing" "undone" "$tmp/out"
run "status of the copy is refused too" 1 "$labctl" status "$tmp/copy/lab.yaml"
if ip netns list | grep -q "^labctl-$hash-disks"; then ok "the lab is still up"; else not_ok "the lab is still up"; fi
rm -rf "$tmp/copy"

# -- crafted records: an undo outside the lab refuses the whole journal
mkdir -p "$tmp/victim" && echo precious >"$tmp/victim/data"
cp "$journal" "$tmp/journal.good"
for rec in \
	"{\"type\":\"local\",\"key\":\"evil\",\"what\":\"evil\",\"undo\":{\"op\":\"rmtree\",\"path\":\"$tmp/victim\"}}" \
	"{\"type\":\"local\",\"key\":\"evil\",\"what\":\"evil\",\"undo\":{\"op\":\"run\",\"argv\":[\"rm\",\"-rf\",\"$tmp/victim\"]}}" \
	"{\"type\":\"local\",\"key\":\"evil\",\"what\":\"evil\",\"undo\":{\"op\":\"libvirt\",\"uri\":\"test:///default\",\"kind\":\"pool\",\"name\":\"default\"}}" \
	"{\"type\":\"local\",\"key\":\"evil\",\"what\":\"evil\",\"undo\":{\"op\":\"netns\",\"name\":\"labctl-00000000-x\"}}"; do
	op=$(printf '%s' "$rec" | sed 's/.*"op":"\([a-z]*\)".*/\1/')
	cp "$tmp/journal.good" "$journal"
	printf '%s\n' "$rec" | sed "s/^{/{\"seq\":999,/" >>"$journal"
	run "$op: down refuses a journal with an undo outside the lab" 1 "$labctl" down --force "$spec"
	matches "$op: it says so and that nothing ran" "holds an undo that is not this lab's .*nothing of it was run" "$tmp/out"
	hasnt "$op: nothing was undone" "undone" "$tmp/out"
done
if test "$(cat "$tmp/victim/data")" = precious; then ok "the directory it named is untouched"; else not_ok "the directory it named is untouched"; fi
if ip netns list | grep -q "^labctl-$hash-disks"; then ok "the lab is still up after the refusals"; else not_ok "the lab is still up after the refusals"; fi
cp "$tmp/journal.good" "$journal"

# -- the nodes, kept, become static nodes of a second lab
run "down --keep-nodes" 0 "$labctl" down --keep-nodes "$spec"
rt=/var/lib/labctl/netns/$hash
static=$tmp/static.yaml
echo t19s >>"$tmp/labs"
cat >"$static" <<EOF
lab: t19s
provider: {type: static}
ssh: {user: root, key: $rt/client_key}
nodes:
  - name: disks
    role: disk
    address: 10.231.20.10
    target:
      backend: tgt
      firewall: none
      luns:
        - {name: vol1, image: $tmp/images/t19s-vol1.img, size: 320MiB}
  - name: host
    role: host
    address: 10.231.20.11
    initiator:
      backend: libiscsi
      timeout: 5
      mounts:
        - {disk: disks, lun: vol1, fs: xfs, path: $tmp/mnt/t19s}
EOF
mkdir -p "$tmp/home/.ssh" "$tmp/data"
# labctl's own file for kept keys, and ~/.ssh, in the test's own places
envs="HOME=$tmp/home XDG_DATA_HOME=$tmp/data"
kept=$tmp/data/labctl/known_hosts
run "static: a first up without --accept-new-host-keys is refused" 3 env $envs "$labctl" up "$static"
matches "it says how to accept the key" "host key is not known.*--accept-new-host-keys to record it in '$kept'" "$tmp/out"
run "static: up --accept-new-host-keys" 0 env $envs "$labctl" up --accept-new-host-keys "$static"
matches "it records the keys in labctl's own file" "recorded host key of 'disks' .* in '$kept'" "$tmp/out"
run "static: down" 0 env $envs "$labctl" down "$static"
if test -s "$kept"; then ok "the kept keys outlive the lab"; else not_ok "the kept keys outlive the lab"; fi
run "static: a second up needs no --accept-new-host-keys" 0 env $envs "$labctl" up -q "$static"
run "static: down again" 0 env $envs "$labctl" down -q "$static"
# ~/.ssh/known_hosts is consulted as ssh does, and not written
mv "$kept" "$tmp/home/.ssh/known_hosts"
sum=$(sha256sum <"$tmp/home/.ssh/known_hosts")
run "static: keys known in ~/.ssh/known_hosts are enough" 0 env $envs "$labctl" up -q "$static"
run "static: down" 0 env $envs "$labctl" down -q "$static"
if test "$(sha256sum <"$tmp/home/.ssh/known_hosts")" = "$sum"; then ok "~/.ssh/known_hosts is as it was"; else not_ok "~/.ssh/known_hosts is as it was"; fi
if test -e "$kept"; then not_ok "nothing was added to labctl's file"; else ok "nothing was added to labctl's file"; fi

# -- the inventory: a value Ansible would template is marked unsafe
sed "s|key: $rt/client_key|key: \"$tmp/{{ lookup('pipe', 'touch $tmp/pwned') }}\"|" "$static" >"$tmp/evil.yaml"
run "inventory of a spec whose key path holds a template" 0 "$labctl" inventory "$tmp/evil.yaml"
cp "$tmp/out" "$tmp/evil-inventory.yaml"
has "every value is marked unsafe" "ansible_ssh_private_key_file: !unsafe \"$tmp/{{ lookup" "$tmp/evil-inventory.yaml"
run "ansible-inventory reads it" 0 ansible-inventory -i "$tmp/evil-inventory.yaml" --list
run "ansible-inventory with the variables templated" 0 ansible -i "$tmp/evil-inventory.yaml" -m debug -a "msg={{ ansible_ssh_private_key_file }}" disks -c local
if test -e "$tmp/pwned"; then not_ok "the template never ran"; else ok "the template never ran"; fi

run "down of the netns lab" 0 "$labctl" down "$spec"

# -- a state directory of someone's files is refused, and left alone
mkdir -p "$tmp/mine" && chmod 700 "$tmp/mine"
echo "github.com ssh-ed25519 AAAA-mine" >"$tmp/mine/known_hosts"
run "up with --state-dir naming a directory of someone's files is refused" 1 "$labctl" up --state-dir "$tmp/mine" "$spec"
has "it names the file" "holds 'known_hosts', which labctl did not write" "$tmp/out"
run "down there has nothing to undo" 0 "$labctl" down --state-dir "$tmp/mine" "$spec"
if test "$(cat "$tmp/mine/known_hosts")" = "github.com ssh-ed25519 AAAA-mine"; then ok "the file is as it was"; else not_ok "the file is as it was"; fi
ls -A "$tmp/mine" >"$tmp/why"
if test "$(cat "$tmp/why")" = known_hosts; then ok "and nothing was added beside it"; else not_ok "and nothing was added beside it"; fi

# -- secrets: bounded, regular files only, and nothing tgt would misread
cat >"$tmp/chap.yaml" <<EOF
lab: t19c
provider: {type: netns, subnet: $(subnet_for 20)}
nodes:
  - name: disks
    role: disk
    target:
      backend: tgt
      luns: [{name: vol1, image: $tmp/images/t19c.img, size: 320MiB}]
      chap: {user: hostuser, password: {file: secret}}
  - name: host
    role: host
    initiator: {backend: libiscsi}
EOF
mkfifo "$tmp/secret"
start=$(date +%s)
run "a secret file that is a FIFO is refused at once" 2 timeout 20 "$labctl" up "$tmp/chap.yaml"
has "it says what a secret file must be" "'$tmp/secret' is not a regular file of at most 65536 bytes" "$tmp/out"
rm -f "$tmp/secret"
ln -s /dev/zero "$tmp/secret"
run "/dev/zero is refused" 2 timeout 20 "$labctl" up "$tmp/chap.yaml"
rm -f "$tmp/secret"
printf 'pass,user=root\n' >"$tmp/secret"
run "a tgt CHAP password with ',' is refused before anything is made" 2 "$labctl" up "$tmp/chap.yaml"
matches "it names the file, line and column of the reference" "chap.yaml:9:[0-9]+: the value of secret 'file:secret' goes to tgtd in a comma-separated list" "$tmp/out"
hasnt "and never the value" "pass,user=root" "$tmp/out"
printf 'two words\n' >"$tmp/secret"
run "a CHAP password with a blank is refused" 2 "$labctl" up "$tmp/chap.yaml"
has "saying what it may hold" "may hold only letters, digits and" "$tmp/out"
if test -d "$tmp/.labctl/t19c"; then not_ok "nothing was made for those"; else ok "nothing was made for those"; fi
no_residue "nothing of the labs is left"
finish
