#!/bin/sh
# Nodes reached as a user who is not root: every task, check and undo runs
# as root through sudo (become: auto), and labctl finds out before it
# changes anything when sudo will not do that.
#
# The nodes are those of a netns lab taken down with --keep-nodes; on each,
# this test starts an sshd of its own (port 2222, in the node's network and
# mount namespaces) that admits three users it makes on this machine:
#   lcit-become  sudo without a password
#   lcit-nosudo  no sudo at all
#   lcit-pwsudo  sudo with a password (ssh.become_password)
# A static lab then stands up on those nodes through that sshd.
. "$(dirname "$0")/lib.sh"

if ! command -v sudo >/dev/null; then
	echo "not ok - sudo is not installed (scripts/install-deps installs it)"
	echo "0 passed, 1 failed"
	exit 1
fi

carrier=$tmp/carrier.yaml
write_lab "$carrier" t20 "$(subnet_for 20)"
h=$(lab_hash t20)
keys=$tmp/become
users="lcit-become lcit-nosudo lcit-pwsudo"
pw="Pw-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"
login_pw="Login-$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"

become_cleanup() {
	for spec in "$tmp"/static-*.yaml; do
		test -e "$spec" && "$labctl" down --force -q "$spec" >/dev/null 2>&1
	done
	for f in "$keys"/sshd-*.pid; do
		test -e "$f" && kill "$(cat "$f")" 2>/dev/null
	done
	for u in $users; do
		rm -f "/etc/sudoers.d/$u"
		if test -e "$keys/made-$u"; then userdel "$u" 2>/dev/null; fi
	done
	cleanup
}
trap become_cleanup EXIT

# the users, made here (and removed at the end) unless a person has them
for u in $users; do
	if id "$u" >/dev/null 2>&1; then
		echo "not ok - user $u exists on this machine; this test makes and removes it"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
mkdir -p "$keys"
chmod 755 "$tmp" "$keys"
for u in $users; do
	useradd -M -d /nonexistent -s /bin/sh "$u" && : >"$keys/made-$u"
	echo "$u:$login_pw" | chpasswd
done
echo "lcit-become ALL=(ALL) NOPASSWD: ALL" >/etc/sudoers.d/lcit-become
echo "lcit-pwsudo ALL=(ALL) ALL" >/etc/sudoers.d/lcit-pwsudo
echo "lcit-pwsudo:$pw" | chpasswd
chmod 440 /etc/sudoers.d/lcit-*
ssh-keygen -q -t ed25519 -N '' -f "$keys/client_key"
ssh-keygen -q -t ed25519 -N '' -f "$keys/host_key"
chmod 644 "$keys/client_key.pub"

run "the carrier lab comes up" 0 "$labctl" up "$carrier"
run "and takes its own things away, keeping its nodes" 0 "$labctl" down --keep-nodes "$carrier"
"$labctl" ssh-config "$carrier" >"$tmp/ssh_config"
addr_disks=$(awk '/^Host disks$/ {f=1} f && $1 == "HostName" {print $2; exit}' "$tmp/ssh_config")
addr_host=$(awk '/^Host host$/ {f=1} f && $1 == "HostName" {print $2; exit}' "$tmp/ssh_config")
: >"$keys/known_hosts"
for n in disks host; do
	eval addr=\$addr_$n
	cat >"$keys/sshd-$n.conf" <<EOC
ListenAddress $addr:2222
HostKey $keys/host_key
PidFile $keys/sshd-$n.pid
AuthorizedKeysFile $keys/client_key.pub
PermitRootLogin no
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
PrintMotd no
EOC
	nsenter --net="/run/netns/labctl-$h-$n" --mount="/var/lib/labctl/netns/$h/pins/$n" \
		/usr/sbin/sshd -f "$keys/sshd-$n.conf" -E "$keys/sshd-$n.log"
	echo "[$addr]:2222 $(cut -d' ' -f1-2 "$keys/host_key.pub")" >>"$keys/known_hosts"
done
sleep 0.3

# write_static NAME USER [MORE-SSH-YAML]: a static lab on the nodes, as USER
write_static() {
	write_lab "$tmp/static-$1.yaml.in" "$1" unused
	sed -e '/^provider:/,/^nodes:/c\
provider: {type: static}\
ssh:\
  user: '"$2"'\
  port: 2222\
  key: '"$keys/client_key"'\
  known_hosts: '"$keys/known_hosts"'\
'"${3:-}"'\
nodes:' \
	    -e "s/^    role: disk/    role: disk\n    address: $addr_disks/" \
	    -e "s/^    role: host/    role: host\n    address: $addr_host/" \
	    "$tmp/static-$1.yaml.in" | grep -v '^$' >"$tmp/static-$1.yaml"
	rm -f "$tmp/static-$1.yaml.in"
}

# 1. no sudo at all: refused before anything changes, naming node and user
write_static t20n lcit-nosudo
run "plan says the tasks go through sudo" 0 "$labctl" plan "$tmp/static-t20n.yaml"
has "as root through sudo" "disks (disk) lcit-nosudo@$addr_disks port 2222, root through sudo" "$tmp/out"
run "up as a user without sudo fails" 1 "$labctl" up --on-failure keep "$tmp/static-t20n.yaml"
has "it names the node" "node 'disks'" "$tmp/out"
has "and the user, and the sudoers line it needs" "'lcit-nosudo ALL=(ALL) NOPASSWD: ALL'" "$tmp/out"
if grep -q '"type": *"task"' "$tmp/.labctl/t20n/journal.jsonl" 2>/dev/null; then
	not_ok "nothing was journaled"
else
	ok "nothing was journaled"
fi
run "down has nothing to undo" 0 "$labctl" down "$tmp/static-t20n.yaml"

# 2. sudo without a password: the whole lab, check and down
write_static t20s lcit-become
run "up as lcit-become through sudo" 0 "$labctl" up "$tmp/static-t20s.yaml"
has "the lab is up" "lab 't20s' is up: " "$tmp/out"
run "check as lcit-become" 0 "$labctl" check "$tmp/static-t20s.yaml"
matches "every check passed" "all [0-9]+ checks passed" "$tmp/out"
if grep -q "Accepted publickey for lcit-become" "$keys/sshd-disks.log"; then
	ok "it logged in as lcit-become"
else
	echo "no login of lcit-become in $keys/sshd-disks.log" >"$tmp/why"; not_ok "it logged in as lcit-become"
fi
run "down as lcit-become" 0 "$labctl" down "$tmp/static-t20s.yaml"
has "everything was undone" "lab 't20s' is down" "$tmp/out"

# 3. sudo that asks for a password, given as a secret; a login by password
export LCIT_SUDO_PW="$pw" LCIT_LOGIN_PW="$login_pw"
write_static t20p lcit-pwsudo "  become_password: {env: LCIT_SUDO_PW}"
: >"$tmp/leak"
touch "$tmp/scanning"
# the pattern from a file: on grep's own command line it would find itself
printf '%s\n' "$pw" >"$keys/pattern"
(
	while test -e "$tmp/scanning"; do
		for c in /proc/[0-9]*/cmdline; do
			{ tr '\0' ' ' <"$c"; echo; } 2>/dev/null
		done | grep -F -f "$keys/pattern" >>"$tmp/leak"
		sleep 0.1
	done
) &
scanner=$!
run "up as lcit-pwsudo with become_password" 0 "$labctl" up "$tmp/static-t20p.yaml"
rm -f "$tmp/scanning"
wait "$scanner"
if test -s "$tmp/leak"; then
	echo "the sudo password was on a command line:" >"$tmp/why"; not_ok "the password is never on a command line"
else
	ok "the password is never on a command line"
fi
if grep -rqF -e "$pw" "$tmp/.labctl/t20p" "$tmp/out"; then
	echo "the sudo password is in the journal, a transcript or the output" >"$tmp/why"
	not_ok "the password is in no journal, transcript or output"
else
	ok "the password is in no journal, transcript or output"
fi
run "down as lcit-pwsudo" 0 "$labctl" down "$tmp/static-t20p.yaml"

export LCIT_SUDO_PW="wrong-$pw"
run "a wrong become_password is refused before anything changes" 1 \
	"$labctl" up --on-failure keep "$tmp/static-t20p.yaml"
has "it says sudo refused the password" "sudo did not make 'lcit-pwsudo' root with ssh.become_password" "$tmp/out"
run "down has nothing to undo" 0 "$labctl" down "$tmp/static-t20p.yaml"

# a login with a password (ssh.password) instead of a key
write_static t20l lcit-become "  password: {env: LCIT_LOGIN_PW}"
sed -i '/^  key: /d' "$tmp/static-t20l.yaml"
run "up logging in with a password" 0 "$labctl" up "$tmp/static-t20l.yaml"
if grep -q "Accepted password for lcit-become" "$keys/sshd-host.log"; then
	ok "it logged in with the password"
else
	echo "no password login in $keys/sshd-host.log" >"$tmp/why"; not_ok "it logged in with the password"
fi
run "down logging in with a password" 0 "$labctl" down "$tmp/static-t20l.yaml"

for f in "$keys"/sshd-*.pid; do kill "$(cat "$f")"; done
run "the carrier's nodes go" 0 "$labctl" down "$carrier"
no_residue "nothing of the labs is left"
finish
