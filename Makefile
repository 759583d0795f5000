# labctl - stand up iSCSI labs from one YAML spec
#
#   make                 build ./labctl
#   make check           layer check, unit, command-line, system and integration tests (root)
#   make unit            the unit tests (no root)
#   make lab             the local lab (examples/local-lab.yaml)
#   make fuzz            libFuzzer targets (FUZZ_SECONDS=N each)
#   make bench           benchmarks, results in docs/benchmarks.md
#   make e2e             the seed lab on QEMU guests through libvirt
#   make install         PREFIX=/usr/local DESTDIR=
#   make clean
# Knobs: SANITIZE=address,undefined  DEVELOPER=1 (-Werror)  V=1 (verbose)

VERSION = 0.1.0
.DEFAULT_GOAL := all
PREFIX ?= /usr/local
BINDIR = $(PREFIX)/bin
MANDIR = $(PREFIX)/share/man
COMPLETIONDIR = $(PREFIX)/share/bash-completion/completions
DOCDIR = $(PREFIX)/share/doc/labctl

CC ?= cc
CFLAGS ?= -O2 -g
PKGS = yaml-0.1 libssh libvirt glib-2.0 gio-2.0 json-glib-1.0
TEST_PKGS = cmocka

WARNINGS = -Wall -Wextra -Wformat=2 -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wvla -Wwrite-strings
ifdef DEVELOPER
WARNINGS += -Werror
endif
ifdef SANITIZE
CFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all
LDFLAGS += -fsanitize=$(SANITIZE)
endif

ifndef V
QUIET_CC = @echo '   CC      $@';
QUIET_LINK = @echo '   LINK    $@';
QUIET_GEN = @echo '   GEN     $@';
endif

B = build

# pkg-config flags are computed once, after scripts/install-deps made sure
# the libraries are there: make rebuilds this included file first.
ifeq ($(filter clean distclean,$(MAKECMDGOALS)),)
-include $(B)/config.mk
endif

$(B)/config.mk: scripts/install-deps Makefile
	@mkdir -p $(B)
	@scripts/install-deps
	@{ echo 'DEP_CFLAGS = '"$$(pkg-config --cflags $(PKGS))"; \
	   echo 'DEP_LIBS = '"$$(pkg-config --libs $(PKGS))"; \
	   echo 'TEST_CFLAGS = '"$$(pkg-config --cflags $(TEST_PKGS))"; \
	   echo 'TEST_LIBS = '"$$(pkg-config --libs $(TEST_PKGS))"; } > $@.tmp
	@mv $@.tmp $@

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE -DLABCTL_VERSION='"$(VERSION)"' -Iinclude -I$(B) \
	$(WARNINGS) $(CFLAGS) $(DEP_CFLAGS) -MMD -MP

# Everything but main.c goes into a static library the unit tests link to.
LIB_SRCS = $(filter-out src/main.c,$(wildcard src/*.c))
LIB_OBJS = $(patsubst src/%.c,$(B)/%.o,$(LIB_SRCS)) $(B)/resources.o
UNIT_SRCS = $(wildcard tests/unit/test_*.c)
UNIT_BINS = $(patsubst tests/unit/%.c,$(B)/tests/%,$(UNIT_SRCS))
# The system tier: cmocka tests, built like the unit tests, that need root.
SYSTEM_SRCS = $(wildcard tests/system/test_*.c)
SYSTEM_BINS = $(patsubst tests/system/%.c,$(B)/tests/system/%,$(SYSTEM_SRCS))
RESOURCES = $(wildcard playbooks/*.yaml) $(wildcard templates/*)

all: labctl

labctl: $(B)/main.o $(B)/liblabctl.a
	$(QUIET_LINK)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS)

$(B)/%.o: src/%.c $(B)/config.mk
	@mkdir -p $(B)
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(B)/liblabctl.a: $(LIB_OBJS)
	@rm -f $@
	@ar rcs $@ $^

# playbooks/ and templates/ are compiled into the binary.
$(B)/resources.xml: $(RESOURCES) Makefile
	@mkdir -p $(B)
	$(QUIET_GEN){ echo '<?xml version="1.0" encoding="UTF-8"?>'; \
	  echo '<gresources><gresource prefix="/labctl">'; \
	  for f in $(RESOURCES); do echo "<file>$$f</file>"; done; \
	  echo '</gresource></gresources>'; } > $@

$(B)/resources.c: $(B)/resources.xml $(RESOURCES)
	$(QUIET_GEN)glib-compile-resources --sourcedir=. --target=$@ \
		--generate-source --c-name labctl_resources $<

$(B)/resources.o: $(B)/resources.c
	$(QUIET_CC)$(CC) $(filter-out -W%,$(ALL_CFLAGS)) -c -o $@ $<

$(B)/tests/%.o: tests/unit/%.c $(B)/config.mk
	@mkdir -p $(B)/tests
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(B)/tests/%: $(B)/tests/%.o $(B)/liblabctl.a
	$(QUIET_LINK)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) $(TEST_LIBS)

$(B)/tests/system/%.o: tests/system/%.c $(B)/config.mk
	@mkdir -p $(B)/tests/system
	$(QUIET_CC)$(CC) $(ALL_CFLAGS) $(TEST_CFLAGS) -c -o $@ $<

$(B)/tests/system/%: $(B)/tests/system/%.o $(B)/liblabctl.a
	$(QUIET_LINK)$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(DEP_LIBS) $(TEST_LIBS)

check: layers unit cli system integration

# The imports of src/ against the layers of docs/architecture.md.
layers:
	@scripts/check-layers

# The README's first command: stand the local lab up, show it, take it down.
lab: deps labctl
	./labctl up examples/local-lab.yaml
	./labctl status examples/local-lab.yaml
	./labctl down examples/local-lab.yaml

deps:
	@scripts/install-deps

# Runs each test binary of $(1); fails when one does.
run_tests = fail=0; for t in $(1); do \
		echo "== $$t"; \
		LABCTL_SRCDIR=$(CURDIR) $(TEST_WRAPPER) $$t || fail=1; \
	done; exit $$fail

# cmocka tests of one module each; no root, no network, nothing outside /tmp.
unit: deps $(UNIT_BINS)
	@$(call run_tests,$(UNIT_BINS))

# cmocka tests on the machine itself: a private sshd, network namespaces,
# the labs' runtime directories, files of other owners.  Needs root; each
# test fails, saying so, without it.
system: deps $(SYSTEM_BINS)
	@$(call run_tests,$(SYSTEM_BINS))

cli: deps labctl
	@LABCTL=$(CURDIR)/labctl tests/cli/run

# Real labs of network namespaces with sshd, tgtd and libiscsi; needs root.
integration: deps labctl
	@LABCTL=$(CURDIR)/labctl tests/integration/run

# Valgrind over the unit and system tests: zero errors, zero definite leaks.
valgrind:
	@$(MAKE) --no-print-directory unit system \
		TEST_WRAPPER='valgrind -q --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite'

install: labctl
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 \
		$(DESTDIR)$(COMPLETIONDIR) $(DESTDIR)$(DOCDIR)/examples
	install -m 755 labctl $(DESTDIR)$(BINDIR)/labctl
	install -m 644 docs/labctl.1 $(DESTDIR)$(MANDIR)/man1/labctl.1
	install -m 644 scripts/labctl.bash-completion $(DESTDIR)$(COMPLETIONDIR)/labctl
	install -m 644 examples/*.yaml $(DESTDIR)$(DOCDIR)/examples/
	install -m 644 docs/spec.md README.md $(DESTDIR)$(DOCDIR)/

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/labctl $(DESTDIR)$(MANDIR)/man1/labctl.1 \
		$(DESTDIR)$(COMPLETIONDIR)/labctl
	rm -rf $(DESTDIR)$(DOCDIR)

# Each further tier (fuzz, bench, e2e) keeps its rules beside its tests.
include $(wildcard tests/*/rules.mk)

clean:
	rm -rf $(B) labctl

.PHONY: all check lab unit cli system integration deps valgrind install uninstall clean
.DELETE_ON_ERROR:

-include $(wildcard $(B)/*.d $(B)/tests/*.d $(B)/tests/system/*.d)
