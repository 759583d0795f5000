{# Writes CHAP settings into the node record.  iscsiadm would need the #}
{# password on its command line; shell builtins keep it out of every argv. #}
# labctl: chap for {{ login.iqn | raw }} at {{ login.portal }}
set -eu
{# an IPv6 portal has brackets: quoted, never raw #}
portal={{ login.portal }}
rec=
for d in /etc/iscsi/nodes /var/lib/iscsi/nodes; do
	for r in "$d"/{{ login.iqn | raw }}/{{ login.address | raw }},{{ login.port | raw }},*/default; do
		if test -f "$r"; then rec=$r; fi
	done
done
if test -z "$rec"; then
	echo "no node record for {{ login.iqn | raw }} at $portal" >&2
	exit 1
fi
umask 077
{
	while IFS= read -r line; do
		case $line in
		node.session.auth.*|"# END RECORD") ;;
		*) printf '%s\n' "$line" ;;
		esac
	done < "$rec"
	printf '%s\n' 'node.session.auth.authmethod = CHAP'
	printf '%s\n' 'node.session.auth.username = {{ login.chap.user | raw }}'
	printf '%s\n' 'node.session.auth.password = {{ login.chap.password | raw }}'
{% if login.chap.mutual %}
	printf '%s\n' 'node.session.auth.username_in = {{ login.chap.mutual_user | raw }}'
	printf '%s\n' 'node.session.auth.password_in = {{ login.chap.mutual_password | raw }}'
{% endif %}
	printf '%s\n' '# END RECORD'
} > "$rec.labctl-new"
mv "$rec.labctl-new" "$rec"
