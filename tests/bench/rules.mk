# make bench: labctl's benchmarks on real netns labs (root), results in
# docs/benchmarks.md, docs/benchmarks.csv and docs/benchmarks.svg.
# BENCH_ARGS passes options to tests/bench/run (--runs N, --pairs LIST,
# --only LIST, --out DIR).

bench: deps labctl
	@scripts/install-deps bench
	@LABCTL=$(CURDIR)/labctl tests/bench/run $(BENCH_ARGS)

.PHONY: bench
