# reap: build/reap.so, its tests, the demo and the benchmarks.
# `make` builds the library; `make test` runs the whole suite; `make demo` and `make bench` are
# defined in demo/demo.mk and tests/bench/bench.mk.

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=
BUILD    := build

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS   ?= -O2 -g
ARCH     := $(shell $(CC) -dumpmachine | cut -d- -f1)

SHIM_SRC := $(wildcard shim/*.c)
SHIM_ASM := $(wildcard shim/*-$(ARCH).S)
SHIM_HDR := $(wildcard shim/*.h)
SHIM_MAP := $(wildcard shim/versions-$(ARCH).map)
SHIM_OBJ := $(SHIM_SRC:shim/%.c=$(BUILD)/shim/%.o) $(SHIM_ASM:shim/%.S=$(BUILD)/shim/%.o)
SHIM_CFLAGS := -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARNINGS) $(CFLAGS) $(SHIM_EXTRA_CFLAGS)
SHIM_LDFLAGS := -shared -Wl,-z,now -Wl,-z,defs $(SHIM_MAP:%=-Wl,--version-script=%)

# The sanitizer tier's build of the library (tests/test_tiers.c).
SANITIZE_FLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
SANITIZE_OBJ := $(SHIM_OBJ:$(BUILD)/shim/%=$(BUILD)/sanitize/%)

TEST_CFLAGS := -std=gnu11 -D_GNU_SOURCE $(WARNINGS) -O1 -g
SCENARIO_SRC := $(wildcard tests/scenarios/*.c)
SCENARIO_LIB := $(wildcard tests/scenarios/lib/*.c)
SCENARIOS := $(SCENARIO_SRC:tests/scenarios/%.c=$(BUILD)/scenarios/%)
TEST_SRC := $(wildcard tests/test_*.c)
TESTS := $(TEST_SRC:tests/%.c=$(BUILD)/tests/%)
TEST_LIB := $(filter-out $(TEST_SRC),$(wildcard tests/*.c))

.PHONY: all install test test-deps check-root clean
all: $(BUILD)/reap.so

$(BUILD)/shim/%.o: shim/%.c $(SHIM_HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/shim/%.o: shim/%.S Makefile
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/reap.so: $(SHIM_OBJ) $(SHIM_MAP)
	$(CC) $(SHIM_CFLAGS) $(SHIM_LDFLAGS) $(SHIM_OBJ) -o $@ -ldl

$(BUILD)/sanitize/%.o: shim/%.c $(SHIM_HDR) Makefile
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -O1 $(SANITIZE_FLAGS) -c $< -o $@

$(BUILD)/sanitize/%.o: shim/%.S Makefile
	@mkdir -p $(@D)
	$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/sanitize/reap.so: $(SANITIZE_OBJ) $(SHIM_MAP)
	$(CC) $(SHIM_CFLAGS) $(SANITIZE_FLAGS) $(SHIM_LDFLAGS:-Wl,-z,defs=) $(SANITIZE_OBJ) -o $@ -ldl

install: $(BUILD)/reap.so
	install -D -m 0755 $(BUILD)/reap.so $(DESTDIR)$(PREFIX)/lib/reap.so

$(BUILD)/scenarios/%: tests/scenarios/%.c $(SCENARIO_LIB) $(wildcard tests/scenarios/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Itests/scenarios/lib $< $(SCENARIO_LIB) -o $@ -lpthread -lutil

# split_early links a library whose constructor runs before the shim's (tests/scenarios/so/early.c).
$(BUILD)/scenarios/libscn_early.so: tests/scenarios/so/early.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -fPIC -shared $< -o $@ -lpthread

$(BUILD)/scenarios/split_early: tests/scenarios/split_early.c $(BUILD)/scenarios/libscn_early.so
	$(CC) $(TEST_CFLAGS) $< -L$(BUILD)/scenarios -lscn_early -Wl,-rpath,'$$ORIGIN' -o $@

# The Go program of tests/test_go.c, built with Debian's golang-go when the tests are built: with
# cgo (dynamically linked against glibc, as `go build` makes a program that uses net or os/user) and
# without (CGO_ENABLED=0: static). Offline, with Go's caches under build/: nothing touches $(HOME).
GO       ?= go
GO_SRC   := $(wildcard tests/go/*.go) tests/go/go.mod
GO_PROGRAMS := $(BUILD)/go/goinit $(BUILD)/go/goinit-static
GO_ENV    = GOCACHE=$(abspath $(BUILD))/go/cache GOPATH=$(abspath $(BUILD))/go/path GOENV=off \
            GOPROXY=off GOFLAGS= GO111MODULE=on GOTOOLCHAIN=local

$(BUILD)/go/goinit: $(GO_SRC)
	@mkdir -p $(@D)
	cd tests/go && $(GO_ENV) CGO_ENABLED=1 $(GO) build -o $(abspath $@) .

$(BUILD)/go/goinit-static: $(GO_SRC)
	@mkdir -p $(@D)
	cd tests/go && $(GO_ENV) CGO_ENABLED=0 $(GO) build -o $(abspath $@) .

$(BUILD)/tests/%: tests/%.c $(TEST_LIB) $(wildcard tests/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Itests $< $(TEST_LIB) -o $@ -lcriterion

# Everything the tests need from Debian's packages; a fresh machine gets it here.
test-deps:
	@tests/install-deps.sh

# The whole suite: every Criterion binary, each scenario run as PID 1 of a fresh PID namespace.
# The benchmarks are only compiled here (with the warning flags), never timed.
test: test-deps all $(BUILD)/sanitize/reap.so $(SCENARIOS) $(GO_PROGRAMS) $(TESTS) bench-build
	@tests/run-tests.sh $(TESTS)

clean:
	rm -rf $(BUILD)

-include demo/demo.mk
-include tests/bench/bench.mk
