{# Before a host logs in: does the portal answer a TCP connection at all? #}
{# A firewall that drops packets makes a login hang until its own timeout #}
{# with no word of why; this says why within 2 s. #}
# labctl: can {{ node.name | raw }} reach the portal of {{ login.disk | raw }}?
set -u
portal={{ login.portal }}
addr={{ login.address }}
port={{ login.port }}
if command -v bash >/dev/null; then
	out=$(timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' reach "$addr" "$port" 2>&1)
	rc=$?
elif command -v nc >/dev/null; then
	out=$(timeout 2 nc -z -w 2 "$addr" "$port" 2>&1)
	rc=$?
else
	echo "neither bash nor nc on {{ node.name | raw }}: the login to $portal is not checked beforehand"
	exit 0
fi
if test "$rc" = 0; then
	echo "$portal of {{ login.disk | raw }} answers"
	exit 0
fi
if test "$rc" = 124; then
	echo "{{ node.name | raw }} cannot reach portal $portal of disk '{{ login.disk | raw }}': no answer within 2 s, so a firewall on the path drops the packets" >&2
{% if lab.provider == 'netns' %}
	echo "on a netns lab that is the forward filter of the machine labctl runs on (Docker sets its FORWARD policy to DROP): labctl up lets the lab's bridge through with one rule; see 'iptables -S FORWARD' and 'nft list ruleset' there" >&2
{% endif %}
	exit 1
fi
case "$out" in
*refused*)
	echo "{{ node.name | raw }} cannot reach portal $portal of disk '{{ login.disk | raw }}': the connection is refused, so nothing listens there or a firewall rejects it" >&2 ;;
*)
	echo "{{ node.name | raw }} cannot reach portal $portal of disk '{{ login.disk | raw }}': ${out:-exit status $rc}" >&2 ;;
esac
exit 1
