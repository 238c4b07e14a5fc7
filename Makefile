# Makefile -- one non-recursive build for mxlabd, mxcheck and their tests.
#
#   make            build bin/mxlabd and bin/mxcheck (installs missing Debian packages first)
#   make test       unit + end-to-end tests (Criterion; the dashboard's in headless chromium)
#   make asan       the same tests under ASan+UBSan, built in build/asan
#   make demo       serve zones/ and run mxcheck over the whole catalog
#   make lab        a shell in a private network where the catalog's world is the internet
#   make conformance  compare mxlabd's answers with NSD's
#   make bench      mxlabd side by side with NSD; mxcheck -j against dnsperf
#   make fuzz       every libFuzzer harness for FUZZ_SECONDS (60) from the corpus in the repo
#   make install    PREFIX=/usr/local DESTDIR=

SHELL   := /bin/bash
PREFIX  ?= /usr/local
DESTDIR ?=
BINDIR   = $(PREFIX)/bin
SBINDIR  = $(PREFIX)/sbin
DATADIR  = $(PREFIX)/share/mxlab
MANDIR   = $(PREFIX)/share/man

BUILD_DIR ?= build
BIN_DIR   ?= bin
SAN       ?=

CC      ?= cc
ifeq ($(origin CC),default)
CC = gcc
endif

# Packages: pkg-config names and the Debian packages that provide them.
PKG_NAMES = libevent ldns libzscanner libdnssec libcrypto jansson libidn2
TEST_PKGS = criterion
DEB_PKGS  = make gcc pkg-config libevent-dev libldns-dev libknot-dev libcriterion-dev \
            libjansson-dev libidn2-dev libssl-dev ldnsutils
# The lab (mxlab-lab, make lab) and its tests: the recursive resolvers in front of the world,
# dig/host, unshare/ip. Installed by `make deps` when one of LAB_CMDS is missing.
LAB_PKGS  = unbound bind9 knot-resolver dnsutils iproute2 util-linux socat
LAB_CMDS  = unbound named kresd dig host ip unshare socat
# Programs the tests run beside ours (DEB_PKG:command, installed by `make deps` when the
# command is missing): the real Exim that e2e_mta_exim compares the exim profile with.
TEST_PROGS = exim4-daemon-light:exim4

# pkg-config is asked lazily (after `deps` ran) and only once per make run.
PKG_CFLAGS = $(eval PKG_CFLAGS := $(shell pkg-config --cflags $(PKG_NAMES) $(TEST_PKGS)))$(PKG_CFLAGS)
PKG_LIBS   = $(eval PKG_LIBS := $(shell pkg-config --libs $(PKG_NAMES)))$(PKG_LIBS)
TEST_LIBS  = $(eval TEST_LIBS := $(shell pkg-config --libs $(TEST_PKGS)))$(TEST_LIBS)

WARN     = -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
           -Wno-unused-parameter
CSTD     = -std=gnu11
OPT      = -O2 -g
ifneq ($(SAN),)
OPT      = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=undefined
endif
CPPFLAGS += -I. -D_GNU_SOURCE -DMXLAB_DATADIR='"$(DATADIR)"' -MMD -MP
ALL_CFLAGS = $(CSTD) $(OPT) -pthread $(WARN) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(OPT) -pthread $(LDFLAGS)

COMMON_SRC = $(wildcard common/*.c)
SERVER_SRC = $(filter-out server/main.c,$(wildcard server/*.c)) $(DASH_GEN)
# The dashboard page, built into mxlabd as a C array generated from dashboard/index.html.
DASH_GEN   = $(BUILD_DIR)/gen/dashboard_page.c
CLIENT_SRC = $(filter-out client/main.c,$(wildcard client/*.c))
TEST_SRC   = $(wildcard tests/unit/*.c tests/e2e/*.c tests/support/*.c)
TOOL_SRC   = $(wildcard tests/conformance/*.c bench/*.c)

obj = $(patsubst %.c,$(BUILD_DIR)/obj/%.o,$(1))

COMMON_LIB = $(BUILD_DIR)/libcommon.a
SERVER_LIB = $(BUILD_DIR)/libmxlabd.a
CLIENT_LIB = $(BUILD_DIR)/libmxcheck.a
MXLABD     = $(BIN_DIR)/mxlabd
MXCHECK    = $(BIN_DIR)/mxcheck
MXLAB_LAB  = $(BIN_DIR)/mxlab-lab
EXERCISE   = $(BIN_DIR)/mxlab-exercise
TEST_BIN   = $(BUILD_DIR)/tests/mxlab-tests
TOOLS      = $(patsubst %.c,$(BUILD_DIR)/tools/%,$(notdir $(TOOL_SRC)))

ALL_OBJ = $(call obj,$(COMMON_SRC) $(SERVER_SRC) $(CLIENT_SRC) server/main.c client/main.c \
            $(TEST_SRC) $(TOOL_SRC))

.PHONY: all deps lab-deps fuzz-deps browser-deps test asan demo lab conformance bench fuzz \
        install clean format check-format
.DEFAULT_GOAL := all

all: $(MXLABD) $(MXCHECK) $(MXLAB_LAB) $(EXERCISE)

# The exercise tool is a script; the copy in bin/ knows where the installed catalog lives.
$(EXERCISE): scripts/mxlab-exercise
	@mkdir -p $(dir $@)
	sed -e 's|@DATADIR@|$(DATADIR)|g' $< > $@.tmp && chmod 755 $@.tmp && mv $@.tmp $@

# Install the Debian packages when pkg-config cannot find them (sudo only when not root).
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! command -v $(CC) >/dev/null 2>&1 || \
	    ! pkg-config --exists $(PKG_NAMES) $(TEST_PKGS) || \
	    ! command -v ldns-verify-zone >/dev/null 2>&1; then \
		echo "mxlab: installing build dependencies: $(DEB_PKGS)"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEB_PKGS) >/dev/null; \
	fi
	@missing=; for p in $(TEST_PROGS); do PATH="$$PATH:/usr/sbin:/sbin" command -v "$${p#*:}" >/dev/null 2>&1 || \
	    missing="$$missing $${p%%:*}"; done; \
	if [ -n "$$missing" ]; then \
		echo "mxlab: installing test programs:$$missing"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		{ $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		    $$SUDO apt-get install -y -qq $$missing >/dev/null; } || \
		    echo "mxlab: could not install$$missing; the tests that need them skip"; \
	fi

# The lab's programs (unbound, BIND, Knot Resolver, dig, ip, unshare), same way.
lab-deps:
	@missing=; for c in $(LAB_CMDS); do PATH="$$PATH:/usr/sbin:/sbin" command -v $$c >/dev/null 2>&1 || \
	    missing="$$missing $$c"; done; \
	if [ -n "$$missing" ]; then \
		echo "mxlab: installing the lab's resolvers and tools ($$missing missing): $(LAB_PKGS)"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		{ $$SUDO apt-get update -qq && \
		  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(LAB_PKGS) >/dev/null; } || \
		echo "mxlab: WARNING: could not install $(LAB_PKGS): the lab tests will be SKIPPED"; \
	fi

# The dashboard's browser tests drive Debian's chromium; install it when missing. When it cannot
# be installed the tests say so and are skipped (MXLAB_CHROMIUM names another binary).
CHROMIUM ?= $(or $(MXLAB_CHROMIUM),/usr/bin/chromium)
browser-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
		echo "mxlab: installing chromium for the dashboard's browser tests"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		{ $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		  $$SUDO apt-get install -y -qq chromium >/dev/null; } || \
		echo "mxlab: WARNING: chromium could not be installed: the browser tests will be SKIPPED"; \
	fi

$(BUILD_DIR)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

$(DASH_GEN): dashboard/index.html
	@mkdir -p $(dir $@)
	@{ echo '/* generated from dashboard/index.html by make: do not edit */'; \
	   echo '#include <stddef.h>'; echo '#include "server/dash.h"'; \
	   echo 'const char dash_page[] = {'; \
	   od -An -v -tx1 $< | sed -e 's/ \([0-9a-f][0-9a-f]\)/0x\1,/g'; \
	   echo '0x00};'; echo 'const size_t dash_page_len = sizeof(dash_page) - 1;'; } > $@.tmp
	@mv $@.tmp $@

$(COMMON_LIB): $(call obj,$(COMMON_SRC))
$(SERVER_LIB): $(call obj,$(SERVER_SRC))
$(CLIENT_LIB): $(call obj,$(CLIENT_SRC))
$(COMMON_LIB) $(SERVER_LIB) $(CLIENT_LIB):
	@mkdir -p $(dir $@)
	@rm -f $@
	ar rcs $@ $^

$(MXLABD): $(call obj,server/main.c) $(SERVER_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

$(MXCHECK): $(call obj,client/main.c) $(CLIENT_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# mxlab-lab is a bash script; the installed one finds the catalog under DATADIR.
$(MXLAB_LAB): scripts/mxlab-lab.sh
	@mkdir -p $(dir $@)
	sed 's|@DATADIR@|$(DATADIR)|g' $< >$@.tmp && chmod 755 $@.tmp && mv $@.tmp $@

# One Criterion binary holds every unit and end-to-end test (one synthesis line).
$(TEST_BIN): $(call obj,$(TEST_SRC)) $(SERVER_LIB) $(CLIENT_LIB) $(COMMON_LIB)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(TEST_LIBS) $(PKG_LIBS) -lm

# Single-file helper programs (conformance comparer, bench load generator).
define tool_rule
$(BUILD_DIR)/tools/$(notdir $(basename $(1))): $(call obj,$(1)) $(SERVER_LIB) $(CLIENT_LIB) $(COMMON_LIB)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(ALL_LDFLAGS) -o $$@ $$^ $$(PKG_LIBS) -lm
endef
$(foreach t,$(TOOL_SRC),$(eval $(call tool_rule,$(t))))

# LD_PRELOAD shim for the bench's second NSD (TCP_NODELAY on what it accepts); never built
# with the sanitizers, which would have to be loaded before NSD itself.
NODELAY_SO = $(BUILD_DIR)/tools/nodelay.so
$(NODELAY_SO): bench/preload/nodelay.c
	@mkdir -p $(dir $@)
	$(CC) -D_GNU_SOURCE $(CSTD) -O2 $(WARN) -fPIC -shared -o $@ $< -ldl

SAN_ENV  = $(if $(SAN),ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
TEST_ENV = MXLAB_BIN_DIR=$(abspath $(BIN_DIR)) MXLAB_SRC_DIR=$(CURDIR) \
           MXLAB_BUILD_DIR=$(abspath $(BUILD_DIR)) $(SAN_ENV)
CRITERION_JOBS ?= 2

# Under sanitizers a report in any process (a forked worker, a started mxlabd) fails the run,
# even when the test itself passed.
test: all $(TEST_BIN) | lab-deps browser-deps
ifeq ($(SAN),)
	$(TEST_ENV) $(TEST_BIN) --jobs $(CRITERION_JOBS) $(TEST_ARGS)
else
	@set -o pipefail; $(TEST_ENV) $(TEST_BIN) --jobs $(CRITERION_JOBS) $(TEST_ARGS) 2>&1 | \
	    tee $(BUILD_DIR)/test.log
	@if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' $(BUILD_DIR)/test.log; then \
		echo "sanitizer reports in $(BUILD_DIR)/test.log"; exit 1; fi
endif

asan:
	@# the programs find the bundled catalog at <bin>/../zones, as bin/ does in the tree
	@mkdir -p build/asan && ln -sfn $(CURDIR)/zones build/asan/zones
	$(MAKE) --no-print-directory BUILD_DIR=build/asan BIN_DIR=build/asan/bin SAN=1 test

demo: all
	@scripts/demo.sh $(BIN_DIR)

# make lab: the shell, with the dashboard on http://127.0.0.1:$(LAB_DASHBOARD)/ of this machine
LAB_DASHBOARD ?= 8053
lab: all | lab-deps
	$(MXLAB_LAB) --dashboard $(LAB_DASHBOARD)

conformance: all $(TOOLS)
	@tests/conformance/run.sh $(BIN_DIR) $(BUILD_DIR)

# BENCH_PART picks one part: zone, rules, sign, fixed (parts of run.sh), world or mxcheck.
bench: all $(TOOLS) $(NODELAY_SO)
	@case "$${BENCH_PART:-all}" in world|mxcheck) ;; *) bench/run.sh $(BIN_DIR) $(BUILD_DIR) ;; esac
	@case "$${BENCH_PART:-all}" in all|world) bench/world.sh $(BIN_DIR) $(BUILD_DIR) ;; esac
	@case "$${BENCH_PART:-all}" in all|mxcheck) bench/mxcheck.sh $(BIN_DIR) ;; esac

# libFuzzer needs clang and its runtime (Debian: clang, libclang-rt-dev); installed when a
# trivial fuzzer does not link.
FUZZ_SECONDS ?= 60
fuzz-deps: deps
	@if ! printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' | \
	    clang -x c -fsanitize=fuzzer,address,undefined -o /dev/null - >/dev/null 2>&1; then \
		echo "mxlab: installing clang and libFuzzer"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq clang libclang-rt-dev \
		    >/dev/null; \
	fi

fuzz: fuzz-deps
	@tests/fuzz/run.sh $(FUZZ_SECONDS)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/zones \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(MXLABD) $(DESTDIR)$(SBINDIR)/mxlabd
	install -m 755 $(MXCHECK) $(DESTDIR)$(BINDIR)/mxcheck
	install -m 755 $(MXLAB_LAB) $(DESTDIR)$(BINDIR)/mxlab-lab
	install -m 755 $(EXERCISE) $(DESTDIR)$(BINDIR)/mxlab-exercise
	install -m 644 zones/*.zone $(wildcard zones/faults.conf zones/catalog.tsv zones/README.md) \
	    $(DESTDIR)$(DATADIR)/zones/
	install -d $(DESTDIR)$(DATADIR)/zones/world
	install -m 644 zones/world/*.zone zones/world/closed.conf $(DESTDIR)$(DATADIR)/zones/world/
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8/

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

check-format:
	clang-format --dry-run --Werror $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build bin

-include $(ALL_OBJ:.o=.d)
