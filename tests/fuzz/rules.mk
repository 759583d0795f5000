# libFuzzer targets (included by the top Makefile).
#
#   make fuzz                    every target for FUZZ_SECONDS (default 60) each
#   make fuzz FUZZ_TARGETS=spec  one target
#   make fuzz-build              only build build/fuzz/fuzz_*
#
# The library is compiled again with clang and the sanitizers into
# build/fuzz/, apart from the gcc objects.  Each target runs on its own
# working corpus, build/fuzz/corpus/TARGET (kept between runs, never
# committed), seeded from the files the project already has; a crash is
# written to build/fuzz/crashes/TARGET/ and fails the run.  Kept crashers go
# to tests/data/fuzz/TARGET/, where "make unit" replays them
# (tests/unit/test_fuzz_regress.c).

FUZZ_SECONDS ?= 60
FUZZ_TARGETS ?= spec template vagrant conformance
FUZZ_CC ?= clang
FB = $(B)/fuzz

FUZZ_SAN = -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
FUZZ_CFLAGS = $(ALL_CFLAGS) $(FUZZ_SAN) -fsanitize=fuzzer-no-link
FUZZ_LIB_OBJS = $(patsubst src/%.c,$(FB)/%.o,$(LIB_SRCS)) $(FB)/resources.o
FUZZ_BINS = $(patsubst %,$(FB)/fuzz_%,$(FUZZ_TARGETS))

# What each target starts from, besides the crashers it found before.
FUZZ_SEEDS_spec = $(wildcard examples/*.yaml tests/data/invalid/*.yaml)
FUZZ_SEEDS_template = $(wildcard templates/* playbooks/*.yaml)
FUZZ_SEEDS_vagrant = $(wildcard tests/data/vagrant/*)
FUZZ_SEEDS_conformance = $(wildcard tests/data/conformance/*.txt)

$(FB)/%.o: src/%.c $(B)/config.mk
	@mkdir -p $(FB)
	$(QUIET_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FB)/resources.o: $(B)/resources.c
	@mkdir -p $(FB)
	$(QUIET_CC)$(FUZZ_CC) $(filter-out -W%,$(FUZZ_CFLAGS)) -c -o $@ $<

$(FB)/t/%.o: tests/fuzz/%.c $(B)/config.mk
	@mkdir -p $(FB)/t
	$(QUIET_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@ $<

$(FB)/fuzz_%: $(FB)/t/fuzz_%.o $(FB)/t/targets.o $(FUZZ_LIB_OBJS)
	$(QUIET_LINK)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(DEP_LIBS)

fuzz-deps:
	@scripts/install-deps fuzz

fuzz-build: fuzz-deps
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

# One target at a time: the machines this runs on have few cores.  The
# number of executions comes from libFuzzer's final statistics.
fuzz: fuzz-build
	@fail=0; for t in $(FUZZ_TARGETS); do \
		seed=$(FB)/seed/$$t; corpus=$(FB)/corpus/$$t; crashes=$(FB)/crashes/$$t; \
		rm -rf $$seed; mkdir -p $$seed $$corpus $$crashes; \
		case $$t in \
		spec) seeds="$(FUZZ_SEEDS_spec)" ;; \
		template) seeds="$(FUZZ_SEEDS_template)" ;; \
		vagrant) seeds="$(FUZZ_SEEDS_vagrant)" ;; \
		conformance) seeds="$(FUZZ_SEEDS_conformance)" ;; \
		esac; \
		for f in $$seeds tests/data/fuzz/$$t/*; do \
			test -f "$$f" && cp "$$f" $$seed/$$(echo "$$f" | tr / _); \
		done; \
		dict=; test -f tests/fuzz/$$t.dict && dict=-dict=tests/fuzz/$$t.dict; \
		echo "== fuzz_$$t for $(FUZZ_SECONDS) s"; \
		G_SLICE=always-malloc G_DEBUG=gc-friendly \
		$(FB)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 \
			-max_len=8192 -print_final_stats=1 $$dict \
			-artifact_prefix=$$crashes/ $$corpus $$seed >$(FB)/$$t.log 2>&1; \
		rc=$$?; \
		execs=$$(sed -n 's/^stat::number_of_executed_units: *//p' $(FB)/$$t.log); \
		units=$$(ls $$corpus | wc -l); \
		echo "fuzz_$$t: $${execs:-?} executions in $(FUZZ_SECONDS) s, corpus $$units inputs"; \
		if test $$rc != 0; then \
			fail=1; tail -n 60 $(FB)/$$t.log; \
			echo "fuzz_$$t: FAILED (exit $$rc), inputs in $$crashes/; keep them in tests/data/fuzz/$$t/"; \
		fi; \
	done; exit $$fail

.PHONY: fuzz fuzz-build fuzz-deps
-include $(wildcard $(FB)/*.d $(FB)/t/*.d)
