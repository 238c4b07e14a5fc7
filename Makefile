# Makefile -- one non-recursive build for mxlabd, mxcheck and their tests.
#
#   make            build bin/mxlabd and bin/mxcheck (installs missing Debian packages first)
#   make test       unit + end-to-end tests (Criterion)
#   make asan       the same tests under ASan+UBSan, built in build/asan
#   make demo       serve zones/ and run mxcheck over the whole catalog
#   make conformance  compare mxlabd's answers with NSD's
#   make bench      mxlabd side by side with NSD
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
PKG_NAMES = libevent ldns libzscanner libdnssec jansson libidn2
TEST_PKGS = criterion
DEB_PKGS  = make gcc pkg-config libevent-dev libldns-dev libknot-dev libcriterion-dev \
            libjansson-dev libidn2-dev ldnsutils unbound

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
ALL_CFLAGS = $(CSTD) $(OPT) $(WARN) $(PKG_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(OPT) $(LDFLAGS)

COMMON_SRC = $(wildcard common/*.c)
SERVER_SRC = $(filter-out server/main.c,$(wildcard server/*.c))
CLIENT_SRC = $(filter-out client/main.c,$(wildcard client/*.c))
TEST_SRC   = $(wildcard tests/unit/*.c tests/e2e/*.c tests/support/*.c)
TOOL_SRC   = $(wildcard tests/conformance/*.c bench/*.c)

obj = $(patsubst %.c,$(BUILD_DIR)/obj/%.o,$(1))

COMMON_LIB = $(BUILD_DIR)/libcommon.a
SERVER_LIB = $(BUILD_DIR)/libmxlabd.a
CLIENT_LIB = $(BUILD_DIR)/libmxcheck.a
MXLABD     = $(BIN_DIR)/mxlabd
MXCHECK    = $(BIN_DIR)/mxcheck
TEST_BIN   = $(BUILD_DIR)/tests/mxlab-tests
TOOLS      = $(patsubst %.c,$(BUILD_DIR)/tools/%,$(notdir $(TOOL_SRC)))

ALL_OBJ = $(call obj,$(COMMON_SRC) $(SERVER_SRC) $(CLIENT_SRC) server/main.c client/main.c \
            $(TEST_SRC) $(TOOL_SRC))

.PHONY: all deps test asan demo conformance bench install clean format check-format
.DEFAULT_GOAL := all

all: $(MXLABD) $(MXCHECK)

# Install the Debian packages when pkg-config cannot find them (sudo only when not root).
deps:
	@if ! command -v pkg-config >/dev/null 2>&1 || ! command -v $(CC) >/dev/null 2>&1 || \
	    ! pkg-config --exists $(PKG_NAMES) $(TEST_PKGS) || ! command -v ldns-verify-zone >/dev/null 2>&1 || \
	    ! [ -x /usr/sbin/unbound ]; then \
		echo "mxlab: installing build dependencies: $(DEB_PKGS)"; \
		SUDO=; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
		$$SUDO apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(DEB_PKGS) >/dev/null; \
	fi

$(BUILD_DIR)/obj/%.o: %.c | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c -o $@ $<

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

SAN_ENV  = $(if $(SAN),ASAN_OPTIONS=detect_leaks=1 LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1)
TEST_ENV = MXLAB_BIN_DIR=$(abspath $(BIN_DIR)) MXLAB_SRC_DIR=$(CURDIR) $(SAN_ENV)
CRITERION_JOBS ?= 2

# Under sanitizers a report in any process (a forked worker, a started mxlabd) fails the run,
# even when the test itself passed.
test: all $(TEST_BIN)
ifeq ($(SAN),)
	$(TEST_ENV) $(TEST_BIN) --jobs $(CRITERION_JOBS) $(TEST_ARGS)
else
	@set -o pipefail; $(TEST_ENV) $(TEST_BIN) --jobs $(CRITERION_JOBS) $(TEST_ARGS) 2>&1 | \
	    tee $(BUILD_DIR)/test.log
	@if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' $(BUILD_DIR)/test.log; then \
		echo "sanitizer reports in $(BUILD_DIR)/test.log"; exit 1; fi
endif

asan:
	$(MAKE) --no-print-directory BUILD_DIR=build/asan BIN_DIR=build/asan/bin SAN=1 test

demo: all
	@scripts/demo.sh $(BIN_DIR)

conformance: all $(TOOLS)
	@tests/conformance/run.sh $(BIN_DIR) $(BUILD_DIR)

bench: all $(TOOLS)
	@bench/run.sh $(BIN_DIR) $(BUILD_DIR)
	@bench/world.sh $(BIN_DIR) $(BUILD_DIR)

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(DATADIR)/zones \
	    $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man8
	install -m 755 $(MXLABD) $(DESTDIR)$(SBINDIR)/mxlabd
	install -m 755 $(MXCHECK) $(DESTDIR)$(BINDIR)/mxcheck
	install -m 644 zones/*.zone $(wildcard zones/faults.conf zones/catalog.tsv zones/README.md) \
	    $(DESTDIR)$(DATADIR)/zones/
	install -m 644 $(wildcard man/*.1) $(DESTDIR)$(MANDIR)/man1/
	install -m 644 $(wildcard man/*.8) $(DESTDIR)$(MANDIR)/man8/

format:
	clang-format -i $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

check-format:
	clang-format --dry-run --Werror $(wildcard */*.c */*.h tests/*/*.c tests/*/*.h)

clean:
	rm -rf build bin

-include $(ALL_OBJ:.o=.d)
