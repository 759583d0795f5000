# The end-to-end tier: the seed's real stack (LIO, open-iscsi, XFS) on QEMU
# guests that labctl makes through libvirt.  Needs root; builds the guest
# image first, or finds it in /var/cache/labctl-e2e (tests/e2e/build-image.sh).
# E2E_SCENARIOS picks scenarios (seed chap luns found multipath beside become
# firewalld vagrant by default; boot checks the image).
e2e: deps labctl
	@scripts/install-deps e2e
	@LABCTL=$(CURDIR)/labctl tests/e2e/run $(E2E_SCENARIOS)

.PHONY: e2e
