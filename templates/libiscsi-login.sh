{# Logs in to each LUN of a target with libiscsi's iscsi-ls, CHAP passed in #}
{# libiscsi's environment variables so that it never shows in an argv. #}
# labctl: libiscsi login to {{ login.iqn | raw }} at {{ login.portal }}
set -eu
{# an IPv6 portal has brackets: quoted, never raw #}
portal={{ login.portal }}
{% if login.chap.enabled %}
LIBISCSI_CHAP_USERNAME={{ login.chap.user | raw }}
LIBISCSI_CHAP_PASSWORD={{ login.chap.password | raw }}
export LIBISCSI_CHAP_USERNAME LIBISCSI_CHAP_PASSWORD
{% endif %}
{% if login.chap.mutual %}
LIBISCSI_CHAP_TARGET_USERNAME={{ login.chap.mutual_user | raw }}
LIBISCSI_CHAP_TARGET_PASSWORD={{ login.chap.mutual_password | raw }}
export LIBISCSI_CHAP_TARGET_USERNAME LIBISCSI_CHAP_TARGET_PASSWORD
{% endif %}
if ! out=$(timeout {{ initiator.timeout | raw }} iscsi-ls -s -i {{ initiator.iqn | raw }} "iscsi://$portal/" 2>&1); then
	printf '%s\n' "$out" >&2
	echo "iscsi-ls could not log in to $portal within {{ initiator.timeout | raw }} s as {{ initiator.iqn | raw }}" >&2
	exit 1
fi
printf '%s\n' "$out"
printf '%s\n' "$out" | grep -qF {{ login.iqn | raw }} || {
	echo "$portal does not offer {{ login.iqn | raw }} to {{ initiator.iqn | raw }}" >&2
	exit 1
}
