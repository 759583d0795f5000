{# Starts tgtd listening on the target's portals only, and waits until it answers. #}
# labctl: start tgtd on {{ node.name | raw }}
set -eu
tgtd --iscsi portal={{ target.portal }}
i=0
until tgtadm --lld iscsi --mode system --op show >/dev/null 2>&1; do
	i=$((i + 1))
	if test "$i" -gt 100; then
		echo "tgtd did not answer within 10 s" >&2
		exit 1
	fi
	sleep 0.1
done
{% for p in target.portals %}
{% if loop.index != 0 %}
tgtadm --lld iscsi --mode portal --op new --param portal={{ p.portal }}
{% endif %}
{% endfor %}
