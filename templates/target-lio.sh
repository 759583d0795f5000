{# Configures the LIO target of one disk node in a single targetcli run. #}
{# Sent on stdin to sh; every value below was validated to a safe charset, #}
{# and "| raw" refuses any that is not.  CHAP secrets never reach #}
{# targetcli: they go into configfs by printf, a shell builtin. #}
# labctl: LIO target {{ target.iqn | raw }} on {{ node.name | raw }}
set -eu
c=/sys/kernel/config/target
t=$c/iscsi/{{ target.iqn | raw }}/tpgt_1
{% for lun in target.luns %}
{% if lun.block %}
dev{{ loop.index }}=$(losetup -j {{ lun.image | raw }} | sed -n '1s/:.*//p')
test -n "$dev{{ loop.index }}" || { echo "no loop device for {{ lun.image | raw }}" >&2; exit 1; }
{% endif %}
{% endfor %}

# The backstores this run makes are written down first, each with the
# serial number (T10 unit serial) it is then made with: down deletes a
# backstore of this list only while it carries that number.  One that is
# there already is exactly what the spec asks for (the guard refused any
# other), and is used as it is and not written down.
r=/var/lib/labctl/lio/{{ target.iqn | raw }}
mkdir -p /var/lib/labctl/lio
{% for lun in target.luns %}
if ls -d $c/core/*_*/{{ lun.name | raw }} >/dev/null 2>&1; then
	wwn{{ loop.index }}=
else
	wwn{{ loop.index }}=$(cat /proc/sys/kernel/random/uuid)
	echo "{{ lun.backstore | raw }} {{ lun.name | raw }} $wwn{{ loop.index }}" >>"$r"
fi
{% endfor %}

# targetcli reads its commands from the pipe one at a time, as they come.
# It reports a failed command but goes on and exits 0, so the result is
# read back below.
#
# A new target gets a portal on 0.0.0.0:3260 from targetcli when its global
# preference auto_add_default_portal is on (the default): that one is
# deleted in the same batch, before the spec's portals are made, so that
# the preference is left as it was found.  With the preference off there
# is no such portal, and the delete fails alone: reading the preference
# first would cost a Python start, a second under TCG.
#
# CHAP: targetcli prints and logs the values it sets ("Parameter password
# is now ...", ~/.targetcli/log.txt), so the ACLs' user names and passwords
# are written into configfs here, once targetcli has made the ACLs, and
# saveconfig is sent only after that.
{
{% for lun in target.luns %}
{% if lun.block %}
test -z "$wwn{{ loop.index }}" || echo "/backstores/block create {{ lun.name | raw }} $dev{{ loop.index }} wwn=$wwn{{ loop.index }}"
{% else %}
test -z "$wwn{{ loop.index }}" || echo "/backstores/fileio create {{ lun.name | raw }} {{ lun.image | raw }} wwn=$wwn{{ loop.index }}"
{% endif %}
{% endfor %}
if ! test -d $t; then
	echo '/iscsi create {{ target.iqn | raw }}'
	echo '/iscsi/{{ target.iqn | raw }}/tpg1/portals delete 0.0.0.0 3260'
fi
{% for acl in target.acls %}
test -d $t/acls/{{ acl.iqn | raw }} || echo '/iscsi/{{ target.iqn | raw }}/tpg1/acls create {{ acl.iqn | raw }}'
{% endfor %}
{% if target.chap.enabled %}
echo '/iscsi/{{ target.iqn | raw }}/tpg1 set attribute authentication=1'
{% endif %}
{% for lun in target.luns %}
test -d $t/lun/lun_{{ lun.number | raw }} || echo '/iscsi/{{ target.iqn | raw }}/tpg1/luns create /backstores/{{ lun.backstore | raw }}/{{ lun.name | raw }} lun={{ lun.number | raw }}'
{% endfor %}
{% for p in target.portals %}
test -d $t/np/{{ p.portal }} || echo '/iscsi/{{ target.iqn | raw }}/tpg1/portals create {{ p.address | raw }} {{ p.port | raw }}'
{% endfor %}
{% if target.chap.enabled %}
{% for acl in target.acls %}
a=$t/acls/{{ acl.iqn | raw }}/auth
i=0
until test -e "$a/password"; do
	i=$((i + 1))
	if test $i -gt 1000; then echo "targetcli made no acl for {{ acl.iqn | raw }} within 100 s" >&2; exit 1; fi
	sleep 0.1
done
printf '%s' {{ target.chap.user }} >"$a/userid"
printf '%s' {{ target.chap.password }} >"$a/password"
{% if target.chap.mutual %}
printf '%s' {{ target.chap.mutual_user }} >"$a/userid_mutual"
printf '%s' {{ target.chap.mutual_password }} >"$a/password_mutual"
{% endif %}
{% endfor %}
{% endif %}
echo 'saveconfig'
} | targetcli

# Read back what the kernel holds now.
bad() { echo "targetcli did not configure $*" >&2; exit 1; }
{% for lun in target.luns %}
test -d $t/lun/lun_{{ lun.number | raw }} || bad 'lun {{ lun.number | raw }} ({{ lun.name | raw }})'
{% endfor %}
{% for acl in target.acls %}
test -d $t/acls/{{ acl.iqn | raw }} || bad 'the acl of {{ acl.iqn | raw }}'
{% for lun in target.luns %}
test -d $t/acls/{{ acl.iqn | raw }}/lun_{{ lun.number | raw }} || bad 'lun {{ lun.number | raw }} for {{ acl.iqn | raw }}'
{% endfor %}
{% if target.chap.enabled %}
grep -qxF '{{ target.chap.user | raw }}' $t/acls/{{ acl.iqn | raw }}/auth/userid || bad 'chap for {{ acl.iqn | raw }}'
{% if target.chap.mutual %}
grep -qxF '{{ target.chap.mutual_user | raw }}' $t/acls/{{ acl.iqn | raw }}/auth/userid_mutual || bad 'mutual chap for {{ acl.iqn | raw }}'
{% endif %}
{% endif %}
{% endfor %}
{% if target.chap.enabled %}
grep -qx 1 $t/attrib/authentication || bad 'authentication on tpg1'
{% endif %}
{% for p in target.portals %}
test -d $t/np/{{ p.portal }} || bad 'the portal '{{ p.portal }}
{% endfor %}
grep -qx 1 $t/enable || bad 'an enabled tpg1'
test -s /etc/rtslib-fb-target/saveconfig.json || test -s /etc/target/saveconfig.json || bad 'a saved configuration'
