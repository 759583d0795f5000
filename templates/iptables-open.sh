{# Opens one port for the lab in iptables, and adds that rule alone to the #}
{# rules the distribution restores at boot, where it keeps them. #}
# labctl: open tcp/{{ port | raw }} in iptables on {{ node.name | raw }}
set -eu
iptables -I INPUT 1 -p tcp --dport {{ port }} -m comment --comment {{ lab.tag }} -j ACCEPT

# The lab's rule, as iptables-save writes it; down finds it the same way.
mine='$1 == "-A" && $2 == "INPUT" && index($0 " ", " --dport " p " ") &&
	(index($0 " ", " --comment " tag " ") || index($0, " --comment \"" tag "\" ")) && / -j ACCEPT$/'
rule=$(iptables-save -t filter | awk -v p={{ port }} -v tag={{ lab.tag }} "$mine" | sed -n 1p)
test -n "$rule" || { echo "iptables-save does not show the rule just added for tcp/{{ port | raw }}" >&2; exit 1; }

# The tutorial's "service iptables save" writes every rule that runs into
# the saved file, and so also rules of others that they chose not to save,
# and drops those they saved and do not run now.  Only the lab's rule is
# added here, first in INPUT as it runs: /etc/sysconfig/iptables
# (iptables-services) or /etc/iptables/rules.v4 (iptables-persistent),
# where the file exists, through a new file renamed over it.  Not on netns
# nodes: their firewall is their network namespace's, and /etc this
# machine's.
{% if lab.provider != 'netns' %}
for f in /etc/sysconfig/iptables /etc/iptables/rules.v4; do
	test -f "$f" || continue
	if awk -v p={{ port }} -v tag={{ lab.tag }} "$mine { found = 1 } END { exit !found }" "$f"; then continue; fi
	if ! grep -qx '\*filter' "$f"; then
		echo "$f has no filter table, so the rule for tcp/{{ port | raw }} is not saved there" >&2
		continue
	fi
	n=$(mktemp "$f.labctl.XXXXXX")
	if ! awk -v r="$rule" '
		/^\*/ { t = $0 }
		t == "*filter" && !done && !/^[*:#]/ { print r; done = 1 }
		{ print }' "$f" >"$n" ||
	   ! chown --reference="$f" "$n" || ! chmod --reference="$f" "$n"; then
		rm -f "$n"
		exit 1
	fi
	chcon --reference="$f" "$n" 2>/dev/null || :
	mv -f "$n" "$f"
done
{% endif %}
