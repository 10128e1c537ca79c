# SPDX-License-Identifier: GPL-2.0-only
#
# make            build/xshaper (and the BPF skeletons it embeds)
# make test       unit, BPF and namespace tests; ends with "N passed, N failed"
# make demo       namespace testbed, xshaper shaping customers to their plans
#                  (DEMO_MODE=bridge: the box bridges instead of routing)
# make bench      every benchmark into docs/BENCHMARKS.md
# make fuzz       each libFuzzer target for FUZZ_SECONDS (60)
# make install    PREFIX=/usr/local DESTDIR=
# V=1 prints the full commands.

VERSION := 0.2.0
BUILD := build
PREFIX ?= /usr/local
DESTDIR ?=
FUZZ_SECONDS ?= 60

CC ?= cc
CLANG ?= clang
BPFTOOL ?= bpftool

ifeq ($(V),1)
Q :=
msg = @true
else
Q := @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

PKGS := libbpf libnl-3.0 libnl-route-3.0 jansson libmicrohttpd ncursesw
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null)

CFLAGS ?= -O2 -g
CFLAGS += -std=gnu11 -pthread -Wall -Wextra -Werror -Wno-unused-parameter \
	  -Wshadow -Wformat=2 -D_GNU_SOURCE -DXS_VERSION='"$(VERSION)"'
CPPFLAGS += -I. -I$(BUILD) -I/usr/include/iniparser $(PKG_CFLAGS)
LDLIBS += $(PKG_LIBS) -liniparser -lelf -lz -pthread

ARCH := $(shell uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPF_CFLAGS := -O2 -g -Wall -Werror -target bpf -D__TARGET_ARCH_$(ARCH) \
	      -I. -I/usr/include/$(shell uname -m)-linux-gnu

BPF_SRCS := $(wildcard bpf/*.bpf.c)
BPF_OBJS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.bpf.o,$(BPF_SRCS))
SKELS := $(patsubst bpf/%.bpf.c,$(BUILD)/%.skel.h,$(BPF_SRCS))

LIB_SRCS := $(filter-out cmd/main.c,$(wildcard common/*.c conf/*.c steer/*.c shaper/*.c cmd/*.c))
LIB_OBJS := $(patsubst %.c,$(BUILD)/obj/%.o,$(LIB_SRCS))
HDRS := $(wildcard */*.h)

# Tests link the same sources built with ASan and UBSan.
SAN := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
SAN_OBJS := $(patsubst %.c,$(BUILD)/san/%.o,$(LIB_SRCS))
TEST_SRCS := $(wildcard tests/unit/test_*.c tests/bpf/test_*.c)
TEST_BINS := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRCS))
TEST_HELPERS := $(wildcard tests/unit/helpers.c)

FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(BUILD)/fuzz/%,$(FUZZ_SRCS))
FUZZ_LIB := $(wildcard common/*.c conf/*.c)
# conf/network.c reads JSON with jansson
FUZZ_LIBS = -liniparser $(shell pkg-config --libs jansson 2>/dev/null)

BENCH_SRCS := $(wildcard tests/bench/*.c)
BENCH_BINS := $(patsubst tests/bench/%.c,$(BUILD)/bench/%,$(BENCH_SRCS))

.PHONY: all deps test demo bench fuzz install clean format lint
.SECONDARY: $(BPF_OBJS)
.DEFAULT_GOAL := all

all: deps $(BUILD)/xshaper

# Installs Debian packages only when something is missing.
deps:
	$(Q)scripts/install-deps.sh

$(BUILD)/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h)
	$(call msg,CLANG,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(BPF_CFLAGS) -c $< -o $@

$(BUILD)/%.skel.h: $(BUILD)/%.bpf.o
	$(call msg,GEN,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $(subst -,_,$*) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/%.o: %.c $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(BUILD)/san/%.o: %.c $(HDRS) $(SKELS)
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -c $< -o $@

$(BUILD)/libxshaper.a: $(LIB_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/libxshaper-san.a: $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^

$(BUILD)/xshaper: cmd/main.c $(BUILD)/libxshaper.a $(HDRS) | $(SKELS)
	$(call msg,CCLD,$@)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(BUILD)/libxshaper.a $(LDLIBS) -o $@

$(BUILD)/tests/%: tests/%.c $(TEST_HELPERS) $(BUILD)/libxshaper-san.a $(HDRS) | $(SKELS)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $(SAN) -Itests $< $(TEST_HELPERS) \
		$(BUILD)/libxshaper-san.a $(LDLIBS) -lcmocka -o $@

$(BUILD)/bench/%: tests/bench/%.c $(BUILD)/libxshaper.a $(HDRS) | $(SKELS)
	$(call msg,CCLD,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(CPPFLAGS) $(CFLAGS) $< $(BUILD)/libxshaper.a $(LDLIBS) -o $@

$(BUILD)/fuzz/%: tests/fuzz/%.c $(FUZZ_LIB) $(HDRS)
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(CPPFLAGS) -std=gnu11 -D_GNU_SOURCE -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $< $(FUZZ_LIB) $(FUZZ_LIBS) -o $@

test: all $(TEST_BINS) $(BENCH_BINS)
	$(Q)tests/run.sh

demo: all
	$(Q)scripts/demo.sh

bench: all $(BENCH_BINS)
	$(Q)scripts/bench.sh

fuzz: deps $(FUZZ_BINS)
	$(Q)set -e; for f in $(FUZZ_BINS); do \
		name=$$(basename $$f); mkdir -p $(BUILD)/corpus/$$name; \
		echo "  FUZZ     $$name ($(FUZZ_SECONDS) s)"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			$(BUILD)/corpus/$$name tests/fuzz/seeds/$${name#fuzz_} \
			2>$(BUILD)/fuzz/$$name.log || { tail -50 $(BUILD)/fuzz/$$name.log; exit 1; }; \
		grep -E 'stat::number_of_executed_units' $(BUILD)/fuzz/$$name.log; \
	done

install: all
	install -D -m 0755 $(BUILD)/xshaper $(DESTDIR)$(PREFIX)/sbin/xshaper
	install -d -m 0755 $(DESTDIR)/etc/xshaper
	test -e $(DESTDIR)/etc/xshaper/xshaper.ini || \
		install -m 0644 conf/xshaper.ini $(DESTDIR)/etc/xshaper/xshaper.ini
	test -e $(DESTDIR)/etc/xshaper/customers.csv || \
		install -m 0644 conf/customers.csv $(DESTDIR)/etc/xshaper/customers.csv
	for m in docs/*.8 docs/*.5; do \
		[ -e "$$m" ] || continue; \
		s=$${m##*.}; install -D -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/$${m##*/}; \
	done

FORMAT_SRCS = $(wildcard bpf/*.c bpf/*.h common/*.[ch] conf/*.[ch] steer/*.[ch] \
	shaper/*.[ch] cmd/*.[ch] tests/*/*.[ch])

format:
	clang-format -i $(FORMAT_SRCS)

lint: $(SKELS)
	cppcheck --quiet --error-exitcode=1 --enable=warning,performance,portability \
		--inline-suppr --suppress=missingIncludeSystem -I. -I$(BUILD) \
		-D__x86_64__ $(LIB_SRCS) cmd/main.c

clean:
	rm -rf $(BUILD)
