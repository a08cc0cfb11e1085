# reap: build/reap.so, its tests, the demo, the benchmarks and the release files.
# `make` builds the library for the compiler it is given (CC); `make test` runs the whole suite;
# `make dist` builds the four release targets into dist/; `make install` installs the library and
# its manual page. `make demo` and `make bench` are defined in demo/demo.mk and tests/bench/bench.mk.

# The release's version, here and nowhere else: the library says it (reap.so --version) and the
# files of `make dist` carry it in their names.
VERSION  := 0.1.0

CC       ?= cc
PREFIX   ?= /usr/local
DESTDIR  ?=

WARNINGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Wformat=2
CFLAGS   ?= -O2 -g

# The target, ARCH-linux-LIBC: asked of the compiler through shim/target.h (__x86_64__, __aarch64__,
# __GLIBC__), not of its name or of -dumpmachine, which says x86_64-linux-gnu for musl-gcc. The
# target of plain `cc` builds into build/, every other one into build/ARCH-linux-LIBC/, so that
# builds for two targets never share an object.
target_of = $(shell echo 'reap_target REAP_ARCH REAP_LIBC' | $(1) -E -P -include shim/target.h -x c - 2>/dev/null | sed -n 's/^reap_target //p')
TARGET_WORDS := $(call target_of,$(CC) $(CPPFLAGS) $(CFLAGS))
ARCH     := $(word 1,$(TARGET_WORDS))
LIBC     := $(word 2,$(TARGET_WORDS))
TARGET   := $(if $(LIBC),$(ARCH)-linux-$(LIBC),unknown)
NATIVE_WORDS := $(if $(filter cc,$(CC)),$(TARGET_WORDS),$(call target_of,cc))
BUILD    := $(if $(filter $(word 1,$(NATIVE_WORDS))-linux-$(word 2,$(NATIVE_WORDS)),$(TARGET)),build,build/$(TARGET))
# Expanded first in every recipe that compiles: a compiler the target cannot be told of stops there.
need_target = $(if $(LIBC),,$(error CC=$(CC) is not a working C compiler for x86_64 or aarch64 with glibc or musl (see shim/target.h)))
# `make dist` names the target it means; a compiler that builds for another one is refused.
$(if $(EXPECT_TARGET),$(if $(filter $(EXPECT_TARGET),$(TARGET)),,$(error CC=$(CC) builds for $(TARGET), not for $(EXPECT_TARGET))))

SHIM_SRC := $(wildcard shim/*.c)
SHIM_ASM := $(wildcard shim/*-$(ARCH).S)
SHIM_HDR := $(wildcard shim/*.h)
# glibc's symbol versions concern glibc builds only; the assembly is per machine.
SHIM_MAP := $(if $(filter gnu,$(LIBC)),$(wildcard shim/versions-$(ARCH).map))
SHIM_OBJ := $(SHIM_SRC:shim/%.c=$(BUILD)/shim/%.o) $(SHIM_ASM:shim/%.S=$(BUILD)/shim/%.o)
# shim/glibc-floor.h binds the old versions of what glibc 2.34 moved into libc.so.6, so that a glibc
# build loads on glibc 2.17 and later, and says why the library needs no other library than libc.
SHIM_CFLAGS := -std=gnu11 -D_GNU_SOURCE -fPIC -fvisibility=hidden $(WARNINGS) $(CFLAGS) $(SHIM_EXTRA_CFLAGS) \
	-DREAP_VERSION='"$(VERSION)"' -include shim/glibc-floor.h
# -e: run as a program, the library describes itself (shim/describe.c). No -z now: every process of
# the container loads the library, and resolving all of its references to libc at load costs an
# exec about 15 us (docs/performance.md); bound lazily, an inert process resolves the few it calls.
# glibc's lazy binding is safe in signal handlers and vfork children: for a definition in one of
# the library's own dependencies (libc) it takes no lock.
# shim/unshared.ld adds the section of the memory no child inherits to the linker's own script,
# shim/start.ld places what every process runs at start (shim/start.h). -z noseparate-code: one
# mapping for all that is read-only, code included, instead of three (tables, code, constants):
# each mapping an exec sets up and takes down cost 4 to 6 us on the machine of 2026-12-04, more than
# the pages around the start that come with it (docs/performance.md). -nostartfiles: the
# C runtime's start files would give the library _init and _fini code at both ends of its code,
# which every process runs at start and at exit, mapping those pages too; its constructor needs none
# of it (.init_array), and it registers nothing for dlclose.
SHIM_LD := shim/unshared.ld shim/start.ld
SHIM_LDFLAGS := -shared -nostartfiles -Wl,-z,noseparate-code -Wl,-z,defs -Wl,-e,reap_describe $(SHIM_LD:%=-Wl,-T,%) $(SHIM_MAP:%=-Wl,--version-script=%)

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

.PHONY: all install test test-run test-deps check-root clean dist musl-tier arm64-build
all: $(BUILD)/reap.so

$(BUILD)/shim/%.o: shim/%.c $(SHIM_HDR) Makefile
	@mkdir -p $(@D)
	$(need_target)$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/shim/%.o: shim/%.S Makefile
	@mkdir -p $(@D)
	$(need_target)$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/reap.so: $(SHIM_OBJ) $(SHIM_MAP) $(SHIM_LD)
	$(CC) $(SHIM_CFLAGS) $(SHIM_LDFLAGS) $(SHIM_OBJ) -o $@

$(BUILD)/sanitize/%.o: shim/%.c $(SHIM_HDR) Makefile
	@mkdir -p $(@D)
	$(need_target)$(CC) $(SHIM_CFLAGS) -O1 $(SANITIZE_FLAGS) -c $< -o $@

$(BUILD)/sanitize/%.o: shim/%.S Makefile
	@mkdir -p $(@D)
	$(need_target)$(CC) $(SHIM_CFLAGS) -c $< -o $@

$(BUILD)/sanitize/reap.so: $(SANITIZE_OBJ) $(SHIM_MAP) $(SHIM_LD)
	$(CC) $(SHIM_CFLAGS) $(SANITIZE_FLAGS) $(SHIM_LDFLAGS:-Wl,-z,defs=) $(SANITIZE_OBJ) -o $@

# The library keeps its execute bit: run as a program it describes itself.
install: $(BUILD)/reap.so
	install -D -m 0755 $(BUILD)/reap.so $(DESTDIR)$(PREFIX)/lib/reap.so
	install -D -m 0644 docs/reap.so.8 $(DESTDIR)$(PREFIX)/share/man/man8/reap.so.8

$(BUILD)/scenarios/%: tests/scenarios/%.c $(SCENARIO_LIB) $(wildcard tests/scenarios/lib/*.h)
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -Itests/scenarios/lib $< $(SCENARIO_LIB) -o $@ -lpthread -lutil

# split_early links a library whose constructor runs before the shim's (tests/scenarios/so/early.c).
$(BUILD)/scenarios/libscn_early.so: tests/scenarios/so/early.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -fPIC -shared $< -o $@ -lpthread

$(BUILD)/scenarios/split_early: tests/scenarios/split_early.c $(BUILD)/scenarios/libscn_early.so
	$(CC) $(TEST_CFLAGS) $< -L$(BUILD)/scenarios -lscn_early -Wl,-rpath,'$$ORIGIN' -o $@

# binding_busy opens a library whose constructor holds the loader's lock (tests/scenarios/so/busy.c).
$(BUILD)/scenarios/libscn_busy.so: tests/scenarios/so/busy.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -fPIC -shared $< -o $@

$(BUILD)/scenarios/binding_busy: $(BUILD)/scenarios/libscn_busy.so

# tests/test_binding.c preloads another interposer after reap.so (tests/scenarios/so/chain.c).
$(BUILD)/scenarios/libscn_chain.so: tests/scenarios/so/chain.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -fPIC -shared $< -o $@

$(BUILD)/scenarios/binding_busy: $(BUILD)/scenarios/libscn_chain.so

# tests/test_costs.c counts the shim's clock readings with an interposer after it (tests/scenarios/so/clocks.c).
$(BUILD)/scenarios/libscn_clocks.so: tests/scenarios/so/clocks.c
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -fPIC -shared $< -o $@

$(BUILD)/scenarios/inert_waits: $(BUILD)/scenarios/libscn_clocks.so

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

# The musl tier (tests/test_musl.c): the library and the programs it runs, built with Debian's
# musl-gcc into build/ARCH-linux-musl/ by a make of its own: the core scenarios, end_exit, sig_idle.
MUSL_CC  ?= musl-gcc
MUSL_BUILD := build/$(word 1,$(NATIVE_WORDS))-linux-musl
MUSL_SCENARIOS := $(patsubst tests/scenarios/%.c,$(MUSL_BUILD)/scenarios/%,$(wildcard tests/scenarios/core_*.c) \
	tests/scenarios/end_exit.c tests/scenarios/sig_idle.c)

musl-tier:
	@command -v $(MUSL_CC) >/dev/null 2>&1 || { echo "musl tier: no $(MUSL_CC) (Debian: musl-tools; make test installs it)" >&2; exit 1; }
	@$(MAKE) --no-print-directory CC=$(MUSL_CC) EXPECT_TARGET=$(notdir $(MUSL_BUILD)) $(MUSL_BUILD)/reap.so $(MUSL_SCENARIOS)

# Everything the tests need from Debian's packages; a fresh machine gets it here.
test-deps:
	@tests/install-deps.sh

# The whole suite: every Criterion binary, each scenario run as PID 1 of a fresh PID namespace.
# The benchmarks are only compiled here (with the warning flags), never timed. The suite is made
# by a second make, which asks the compiler that test-deps may just have installed for its target.
test: test-deps
	@$(MAKE) --no-print-directory test-run

test-run: all $(BUILD)/sanitize/reap.so $(SCENARIOS) $(GO_PROGRAMS) $(TESTS) bench-build musl-tier arm64-build
	@tests/run-tests.sh $(TESTS)

# The arm64 tier (tests/test_arm64.c, run under qemu-user) and the floor check (tests/test_floor.c):
# the arm64 glibc build of the library and the scenarios the tier runs, made by a make of their own
# for the cross compiler into build/aarch64-linux-gnu/.
ARM64_CC ?= aarch64-linux-gnu-gcc
ARM64_BUILD := build/aarch64-linux-gnu
ARM64_SCENARIOS := core_wait core_sigchld core_spawn sig_idle eintr_nested
arm64-build:
	@$(MAKE) --no-print-directory CC='$(ARM64_CC)' BUILD=$(ARM64_BUILD) EXPECT_TARGET=aarch64-linux-gnu \
		$(ARM64_BUILD)/reap.so $(ARM64_SCENARIOS:%=$(ARM64_BUILD)/scenarios/%)

clean:
	rm -rf build $(DIST)

# `make dist`: the four release targets, each built by its own make in build/TARGET/ (its output in
# build/TARGET/build.log), copied to dist/reap-VERSION-TARGET.so, with dist/SHA256SUMS and
# dist/Dockerfile (from docs/dist.Dockerfile: one stage per C library, /lib/reap.so for the
# platform being built). A target whose compiler is missing or whose build fails is reported and
# skipped; the others are still built, and make fails at the end naming what is missing.
# The compilers are Debian's names; set CC.TARGET=... to use others.
DIST := dist
DIST_TARGETS := x86_64-linux-gnu x86_64-linux-musl aarch64-linux-gnu aarch64-linux-musl
CC.x86_64-linux-gnu ?= x86_64-linux-gnu-gcc
CC.x86_64-linux-musl ?= x86_64-linux-musl-gcc
CC.aarch64-linux-gnu ?= aarch64-linux-gnu-gcc
CC.aarch64-linux-musl ?= aarch64-linux-musl-gcc
PACKAGE.x86_64-linux-gnu := gcc (on an x86-64 machine) or gcc-x86-64-linux-gnu
PACKAGE.x86_64-linux-musl := musl-tools (on an x86-64 machine)
PACKAGE.aarch64-linux-gnu := gcc-aarch64-linux-gnu and libc6-dev-arm64-cross
PACKAGE.aarch64-linux-musl := musl-dev:arm64, after dpkg --add-architecture arm64; see docs/deploy.md

define dist_one
	if ! command -v $(firstword $(CC.$(1))) >/dev/null 2>&1; then \
		echo "dist: $(1): SKIPPED: no compiler $(CC.$(1)) (Debian: $(PACKAGE.$(1)))"; \
		missing="$$missing $(1)"; \
	elif mkdir -p build/$(1) && $(MAKE) -k --no-print-directory CC='$(CC.$(1))' BUILD=build/$(1) \
			EXPECT_TARGET=$(1) build/$(1)/reap.so >build/$(1)/build.log 2>&1; then \
		cp build/$(1)/reap.so $(DIST)/reap-$(VERSION)-$(1).so; \
		echo "dist: $(1): $(DIST)/reap-$(VERSION)-$(1).so"; \
	else \
		echo "dist: $(1): FAILED to build with $(CC.$(1)); its errors (the whole log: build/$(1)/build.log):"; \
		grep -m 12 -E ': (fatal )?error:|: \*\*\* [^[]' build/$(1)/build.log | sed 's/^/    /'; \
		missing="$$missing $(1)"; \
	fi;
endef

dist:
	@rm -rf $(DIST) && mkdir -p $(DIST)
	@missing=; \
	$(foreach t,$(DIST_TARGETS),$(call dist_one,$(t))) \
	sed 's/@VERSION@/$(VERSION)/g' docs/dist.Dockerfile >$(DIST)/Dockerfile; \
	if ls $(DIST)/*.so >/dev/null 2>&1; then \
		(cd $(DIST) && sha256sum -- *.so >SHA256SUMS) && echo "dist: $(DIST)/SHA256SUMS"; \
	fi; \
	echo "dist: $(DIST)/Dockerfile"; \
	if [ -n "$$missing" ]; then echo "dist: INCOMPLETE, not built:$$missing" >&2; exit 1; fi

-include demo/demo.mk
-include tests/bench/bench.mk
