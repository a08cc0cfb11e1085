# make bench: the benchmarks of issue #5 (reap.so against tini, dumb-init, catatonit and the limit).
# Not part of `make test`: timings never gate anything. `make bench BENCH_QUICK=1` is a smoke run of
# a few seconds; BENCH_ONLY=storm,loops,execs,attrib,scale,startup,idle runs a subset. `make bench-build`
# only compiles (with the project's warning flags).
BENCH_BUILD := $(BUILD)/bench
BENCH_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARNINGS) -O2 -g
BENCH_HDR := $(wildcard tests/bench/*.h)
BENCH_DRIVER_SRC := $(wildcard tests/bench/*.c)
BENCH_WORK := $(patsubst tests/bench/work/%.c,$(BENCH_BUILD)/%,$(wildcard tests/bench/work/*.c))
BENCH_WORK_HDR := $(wildcard tests/bench/work/lib/*.h)
BENCH_QUICK ?=
BENCH_OUT ?= tests/bench/results/$(if $(filter-out 0,$(BENCH_QUICK)),quick,latest).md

.PHONY: bench bench-build
bench-build: $(BENCH_BUILD)/reapbench $(BENCH_WORK) $(BENCH_BUILD)/empty.so $(BENCH_BUILD)/floor.so

# The reference preloads: empty.so does nothing, floor.so what any in-process reaper must (loops.c).
$(BENCH_BUILD)/%.so: tests/bench/so/%.c tests/bench/bench.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -fPIC -shared $< -o $@

$(BENCH_BUILD)/reapbench: $(BENCH_DRIVER_SRC) $(BENCH_HDR) tests/bench/bench.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) $(BENCH_DRIVER_SRC) -o $@ -lm

# A workload program is its own .c file, plus the helpers of work/lib/ it names here.
$(BENCH_BUILD)/loops: tests/bench/work/lib/perfcount.c
$(BENCH_WORK): $(BENCH_BUILD)/%: tests/bench/work/%.c $(BENCH_WORK_HDR) $(BENCH_HDR) tests/bench/bench.mk
	@mkdir -p $(@D)
	$(CC) $(BENCH_CFLAGS) -Itests/bench $(filter %.c,$^) -o $@

bench: $(BUILD)/reap.so bench-build
	@tests/bench/install-deps.sh
	@mkdir -p $(dir $(BENCH_OUT))
	$(BENCH_BUILD)/reapbench --shim $(abspath $(BUILD)/reap.so) --empty $(abspath $(BENCH_BUILD)/empty.so) \
		--work $(abspath $(BENCH_BUILD)) $(if $(BENCH_ONLY),--only $(BENCH_ONLY)) \
		--out $(BENCH_OUT) $(if $(filter-out 0,$(BENCH_QUICK)),--quick)
