{# Exports one LUN as a file through qemu-storage-daemon's FUSE export. #}
# labctl: export lun {{ mount.number | raw }} of {{ mount.login.iqn | raw }}
set -eu
f={{ mount.device | raw }}
: > "$f"
{% if mount.login.chap.enabled %}
(umask 077; printf '%s' '{{ mount.login.chap.password | raw }}' > "$f.secret")
{% endif %}
timeout {{ initiator.timeout | raw }} qemu-storage-daemon \
{% if mount.login.chap.enabled %}
	--object secret,id=chap,file="$f.secret" \
{% endif %}
	--blockdev driver=iscsi,node-name=lun,transport=tcp,portal={{ mount.login.portal }},target={{ mount.login.iqn | raw }},lun={{ mount.number | raw }},initiator-name={{ initiator.iqn | raw }}{% if mount.login.chap.enabled %},user={{ mount.login.chap.user | raw }},password-secret=chap{% endif %} \
	--export type=fuse,id=export,node-name=lun,mountpoint="$f",writable=on \
	--pidfile "$f.pid" --daemonize
