{# Configures the LIO target of one disk node in a single targetcli run. #}
{# Sent on stdin to sh; every value below was validated to a safe charset, #}
{# and "| raw" refuses any that is not, so the here-document stays literal. #}
# labctl: LIO target {{ target.iqn | raw }} on {{ node.name | raw }}
set -eu
{% for lun in target.luns %}
{% if lun.block %}
dev{{ loop.index }}=$(losetup -j {{ lun.image | raw }} | sed -n '1s/:.*//p')
test -n "$dev{{ loop.index }}" || { echo "no loop device for {{ lun.image | raw }}" >&2; exit 1; }
{% endif %}
{% endfor %}
targetcli <<EOF
set global auto_add_default_portal=false
{% for lun in target.luns %}
{% if lun.block %}
/backstores/block create {{ lun.name | raw }} $dev{{ loop.index }}
{% else %}
/backstores/fileio create {{ lun.name | raw }} {{ lun.image | raw }}
{% endif %}
{% endfor %}
/iscsi create {{ target.iqn | raw }}
{% for acl in target.acls %}
/iscsi/{{ target.iqn | raw }}/tpg1/acls create {{ acl.iqn | raw }}
{% if target.chap.enabled %}
/iscsi/{{ target.iqn | raw }}/tpg1/acls/{{ acl.iqn | raw }} set auth userid={{ target.chap.user | raw }} password={{ target.chap.password | raw }}
{% if target.chap.mutual %}
/iscsi/{{ target.iqn | raw }}/tpg1/acls/{{ acl.iqn | raw }} set auth mutual_userid={{ target.chap.mutual_user | raw }} mutual_password={{ target.chap.mutual_password | raw }}
{% endif %}
{% endif %}
{% endfor %}
{% if target.chap.enabled %}
/iscsi/{{ target.iqn | raw }}/tpg1 set attribute authentication=1
{% endif %}
{% for lun in target.luns %}
/iscsi/{{ target.iqn | raw }}/tpg1/luns create /backstores/{{ lun.backstore | raw }}/{{ lun.name | raw }} lun={{ lun.number | raw }}
{% endfor %}
{% for p in target.portals %}
/iscsi/{{ target.iqn | raw }}/tpg1/portals create {{ p.address | raw }} {{ p.port | raw }}
{% endfor %}
saveconfig
EOF
