{# Creates the target, its LUNs, ACL and CHAP accounts with tgtadm. #}
# labctl: tgt target {{ target.iqn | raw }} on {{ node.name | raw }}
set -eu
tgtadm --lld iscsi --mode target --op new --tid 1 --targetname {{ target.iqn | raw }}
{% for lun in target.luns %}
{% if lun.block %}
dev=$(losetup -j {{ lun.image | raw }} | sed -n '1s/:.*//p')
test -n "$dev" || { echo "no loop device for {{ lun.image | raw }}" >&2; exit 1; }
tgtadm --lld iscsi --mode logicalunit --op new --tid 1 --lun {{ lun.number | raw }} --backing-store "$dev"
{% else %}
tgtadm --lld iscsi --mode logicalunit --op new --tid 1 --lun {{ lun.number | raw }} --backing-store {{ lun.image | raw }}
{% endif %}
{% endfor %}
{% for acl in target.acls %}
tgtadm --lld iscsi --mode target --op bind --tid 1 --initiator-name {{ acl.iqn | raw }}
{% endfor %}
{% if target.chap.enabled %}
tgtadm --lld iscsi --mode account --op new --user {{ target.chap.user | raw }} --password {{ target.chap.password | raw }}
tgtadm --lld iscsi --mode account --op bind --tid 1 --user {{ target.chap.user | raw }}
{% endif %}
{% if target.chap.mutual %}
tgtadm --lld iscsi --mode account --op new --user {{ target.chap.mutual_user | raw }} --password {{ target.chap.mutual_password | raw }}
tgtadm --lld iscsi --mode account --op bind --tid 1 --user {{ target.chap.mutual_user | raw }} --outgoing
{% endif %}
