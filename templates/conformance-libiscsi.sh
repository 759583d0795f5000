{# libiscsi's SCSI conformance suite on one raw LUN of the lab's.  Its #}
{# verbose output goes to standard output for labctl to read (metrics: #}
{# libiscsi); CHAP goes in libiscsi's environment variables, never in an #}
{# argv.  Both initiator names are the host's, the one the target admits. #}
# labctl: libiscsi conformance tests on lun {{ conf.number | raw }} of {{ conf.login.iqn | raw }}
set -u
{# an IPv6 portal has brackets: quoted, never raw #}
portal={{ conf.login.portal }}
tests={{ conf.tests }}
{% if conf.login.chap.enabled %}
LIBISCSI_CHAP_USERNAME={{ conf.login.chap.user | raw }}
LIBISCSI_CHAP_PASSWORD={{ conf.login.chap.password | raw }}
export LIBISCSI_CHAP_USERNAME LIBISCSI_CHAP_PASSWORD
{% endif %}
{% if conf.login.chap.mutual %}
LIBISCSI_CHAP_TARGET_USERNAME={{ conf.login.chap.mutual_user | raw }}
LIBISCSI_CHAP_TARGET_PASSWORD={{ conf.login.chap.mutual_password | raw }}
export LIBISCSI_CHAP_TARGET_USERNAME LIBISCSI_CHAP_TARGET_PASSWORD
{% endif %}
if ! command -v iscsi-test-cu >/dev/null 2>&1; then
	echo "iscsi-test-cu is not installed: labctl up installs it where it knows the package manager" >&2
	exit 1
fi
{# a name the suite does not have would run nothing, and pass #}
if ! known=$(iscsi-test-cu -l 2>&1); then
	printf '%s\n' "$known" >&2
	echo "iscsi-test-cu -l failed" >&2
	exit 1
fi
missing=
IFS=,
for t in $tests; do
	printf '%s\n' "$known" | grep -qxF -e "$t" || missing="$missing $t"
done
unset IFS
if test -n "$missing"; then
	echo "the iscsi-test-cu on this node has no test named:$missing (iscsi-test-cu -l lists the ones it has)" >&2
	exit 1
fi
timeout -k 5 {{ conf.timeout | raw }} iscsi-test-cu -d -v \
	-i {{ initiator.iqn | raw }} -I {{ initiator.iqn | raw }} -t "$tests" \
	"iscsi://$portal/{{ conf.login.iqn | raw }}/{{ conf.number | raw }}"
s=$?
if test "$s" = 124 || test "$s" = 137; then
	echo "the conformance tests did not finish within {{ conf.timeout | raw }} s ('timeout') and were stopped" >&2
fi
exit "$s"
