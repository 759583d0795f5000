{# Creates the target, its LUNs, ACL and CHAP accounts with tgtadm. #}
# labctl: tgt target {{ target.iqn | raw }} on {{ node.name | raw }}
set -eu
# The lowest tid no target has: a tgtd may serve others' targets too.  Two
# runs racing for one tid: tgtd refuses the second, which fails here.
tid=$(tgtadm --lld iscsi --mode target --op show |
	awk '/^Target [0-9]+: / { used[$2 + 0] = 1 } END { for (t = 1; t in used; t++); print t }')
tgtadm --lld iscsi --mode target --op new --tid "$tid" --targetname {{ target.iqn | raw }}
{% for lun in target.luns %}
{% if lun.block %}
dev=$(losetup -j {{ lun.image | raw }} | sed -n '1s/:.*//p')
test -n "$dev" || { echo "no loop device for {{ lun.image | raw }}" >&2; exit 1; }
tgtadm --lld iscsi --mode logicalunit --op new --tid "$tid" --lun {{ lun.number | raw }} --backing-store "$dev"
{% else %}
tgtadm --lld iscsi --mode logicalunit --op new --tid "$tid" --lun {{ lun.number | raw }} --backing-store {{ lun.image | raw }}
{% endif %}
{% endfor %}
{% for acl in target.acls %}
tgtadm --lld iscsi --mode target --op bind --tid "$tid" --initiator-name {{ acl.iqn | raw }}
{% endfor %}
{% if target.chap.enabled %}
# "tgtadm --op new --mode account" takes the password on its command line,
# where every process list shows it.  Send tgtd the same request on its
# control socket instead (tgtadm.h: a 120-byte header, then the parameters),
# with user and password read from stdin.
new_account() {
	perl -MIO::Socket::UNIX -e '
		chomp(my $user = <STDIN>);
		chomp(my $password = <STDIN>);
		my $body = "user=$user,password=$password\0";
		my $s = IO::Socket::UNIX->new(Peer => "/var/run/tgtd/socket.0", Type => SOCK_STREAM)
			or die "cannot reach tgtd: $!\n";
		# mode account, op new, lld, len, tid, sid, lun, cid, host_no,
		# device_type, ac_dir, pack, force
		my $req = pack("l l a64 L l Q Q L L L L L L", 7, 0, "iscsi",
			       120 + length($body), -1, 0, ~0, 0, 0, 0, 0, 0, 0);
		syswrite($s, $req . $body) == length($req . $body) or die "cannot write to tgtd: $!\n";
		sysread($s, my $rsp, 8) == 8 or die "no answer from tgtd\n";
		my ($err) = unpack("L", $rsp);
		$err == 0 or die "tgtd refused the new account $user (tgtadm error $err)\n";
	'
}
new_account <<'LABCTL_SECRET'
{{ target.chap.user | raw }}
{{ target.chap.password | raw }}
LABCTL_SECRET
tgtadm --lld iscsi --mode account --op bind --tid "$tid" --user {{ target.chap.user | raw }}
{% endif %}
{% if target.chap.mutual %}
new_account <<'LABCTL_SECRET'
{{ target.chap.mutual_user | raw }}
{{ target.chap.mutual_password | raw }}
LABCTL_SECRET
tgtadm --lld iscsi --mode account --op bind --tid "$tid" --user {{ target.chap.mutual_user | raw }} --outgoing
{% endif %}
