# brig — build, test, bench, install.  `make` leaves the binary at build/brig.
PREFIX  ?= /usr/local
DESTDIR ?=
# Sanitized objects never mix with plain ones: their own build directory.
ifeq ($(SANITIZE),1)
BUILD   ?= build/sanitize
endif
BUILD   ?= build
CC      ?= cc
VERSION := 0.1.0

PKGS     := libseccomp libcap json-c libmnl libnftnl libnl-3.0 libnl-route-3.0
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude \
            -DBRIG_VERSION=\"$(VERSION)\" -DBRIG_DATADIR=\"$(PREFIX)/share/brig\" $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS   += $(shell pkg-config --libs $(PKGS) 2>/dev/null)

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

SRCS    := $(wildcard src/*.c)
POLICIES := $(wildcard profiles/seccomp/*.policy)
OBJS    := $(SRCS:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/seccomp_builtin.o
LIBOBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
UNIT    := $(wildcard tests/unit/*.c)
INTEG   := $(wildcard tests/integration/*.c)
HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c))

# Debian packages for building, testing and benchmarking.
DEB_DEPS := build-essential pkg-config libseccomp-dev libcap-dev libjson-c-dev \
            libcriterion-dev libnl-3-dev libnl-route-3-dev scdoc bubblewrap util-linux iproute2 procps \
            clang libclang-rt-14-dev git python3 curl openssl xz-utils \
            qemu-system-x86 busybox-static cpio kmod e2fsprogs zstd lz4 bzip2 \
            libmnl-dev libnftnl-dev nftables socat dnsmasq-base iperf3

.PHONY: all deps test unit integration vm-test demo bench install clean man
all: $(BUILD)/brig

$(BUILD)/obj/%.o: src/%.c $(wildcard include/brig/*.h) | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

# The shipped seccomp policies, built into the binary so that brig works
# from a checkout and as a lone file; files in the profile path win.
$(BUILD)/gen/seccomp_builtin.c: $(POLICIES) Makefile
	@mkdir -p $(@D)
	@{ echo '/* Generated from profiles/seccomp by the Makefile. */'; \
	   echo '#include <string.h>'; echo '#include "brig/seccomp.h"'; \
	   echo 'static const struct { const char *name, *text; } builtin[] = {'; \
	   for f in $(POLICIES); do n=$$(basename $$f .policy); echo "{ \"$$n\","; \
	     sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $$f; echo '},'; done; \
	   echo '};'; \
	   echo 'const char *seccomp_builtin_policy(const char *name)'; echo '{'; \
	   echo '	for (size_t i = 0; i < sizeof builtin / sizeof builtin[0]; i++)'; \
	   echo '		if (strcmp(builtin[i].name, name) == 0)'; echo '			return builtin[i].text;'; \
	   echo '	return NULL;'; echo '}'; } > $@

$(BUILD)/obj/seccomp_builtin.o: $(BUILD)/gen/seccomp_builtin.c | $(BUILD)/obj
	$(CC) $(CFLAGS) -c -o $@ $<

$(BUILD)/brig: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/tests/helpers $(BUILD)/bench:
	mkdir -p $@

# PREFIX is compiled in (where installed profiles live): rebuild what uses
# it whenever it changes.
$(BUILD)/obj/prefix.stamp: FORCE | $(BUILD)/obj
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
$(BUILD)/obj/profile.o $(BUILD)/obj/seccomp_policy.o: $(BUILD)/obj/prefix.stamp
.PHONY: FORCE
FORCE:

$(BUILD)/tests/unit: $(UNIT) $(LIBOBJS) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS) -lcriterion

$(BUILD)/tests/integration-suite: $(INTEG) $(wildcard tests/integration/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(INTEG) -lcriterion

$(BUILD)/tests/helpers/%: tests/helpers/%.c | $(BUILD)/tests/helpers
	$(CC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -o $@ $<

# Drives the firewall module itself, inside the tests' own network namespaces.
$(BUILD)/tests/helpers/firewall-tool: tests/helpers/firewall-tool.c $(BUILD)/obj/firewall.o $(BUILD)/obj/nft.o \
                                      $(BUILD)/obj/util.o | $(BUILD)/tests/helpers
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@missing=""; for p in $(DEB_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Everything: both suites, the unit suite again under ASan and UBSan, the
# profile reader fuzzed for a minute, and the integration suite inside a
# cgroup v2 guest kernel (tests/vm).
test: deps
	$(MAKE) unit integration
	$(MAKE) unit SANITIZE=1
	$(MAKE) fuzz FUZZ_SECONDS=$(FUZZ_SECONDS)
	$(MAKE) vm-test

# The integration suite on a Debian kernel booted under qemu with cgroup v2
# as its only hierarchy (tests/vm/README.md): the limits this host's cgroup
# tree cannot give. Kernel and initramfs are cached in $(BUILD)/vm.
vm-test: $(BUILD)/brig $(BUILD)/tests/integration-suite $(HELPERS)
	tests/vm/run.sh $(BUILD)

unit: $(BUILD)/tests/unit
	$(BUILD)/tests/unit

# Twice: as root, then as an unprivileged user (uid 65534) for everything
# that does not need root. Both run copies in a directory that user can
# reach, wherever the checkout lives, so a rebuild cannot pull the binary
# from under a running suite.
integration: $(BUILD)/brig $(BUILD)/tests/integration-suite $(HELPERS)
	@set -e; d=$$(mktemp -d /tmp/brig-integration.XXXXXX); trap 'rm -rf "$$d"' EXIT; \
	  cp $(BUILD)/brig "$$d/"; cp -R $(BUILD)/tests/helpers "$$d/helpers"; cp -R profiles "$$d/profiles"; \
	  chmod -R a+rX,go-w "$$d"; export BRIG="$$d/brig" BRIG_HELPERS="$$d/helpers" BRIG_PROFILES="$$d/profiles"; \
	  echo "== integration suite as root"; rc=0; \
	  $(BUILD)/tests/integration-suite || rc=1; \
	  echo "== integration suite as uid 65534 (rootless brig)"; \
	  BRIG_TEST_USER=65534 $(BUILD)/tests/integration-suite || rc=1; \
	  exit $$rc

demo: deps
	$(MAKE) $(BUILD)/brig
	@echo '== brig run --profile profiles/default -- sh -c "$$(cat tests/demo-job.sh)"'
	@$(BUILD)/brig run --profile profiles/default --hostname demo -- /bin/sh -c "$$(cat tests/demo-job.sh)"

$(BUILD)/bench/launch: tests/bench/launch.c | $(BUILD)/bench
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

$(BUILD)/bench/syscalls: tests/bench/syscalls.c | $(BUILD)/bench
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

bench: deps
	$(MAKE) $(BUILD)/brig $(BUILD)/bench/launch $(BUILD)/bench/syscalls
	BUILD=$(BUILD) tests/bench/run.sh $(BUILD)/brig

# libFuzzer target for the profile reader (clang). `make fuzz` runs it for
# FUZZ_SECONDS, seeded with the shipped profiles; what it finds stays in
# $(BUILD)/fuzz/corpus, crashes land in $(BUILD)/fuzz/ as crash-*, leak-*.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -Iinclude -DBRIG_VERSION=\"$(VERSION)\" \
                -DBRIG_DATADIR=\"$(PREFIX)/share/brig\" $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRCS    := $(filter-out src/main.c,$(SRCS)) $(BUILD)/gen/seccomp_builtin.c

.PHONY: fuzz
$(BUILD)/fuzz/fuzz_profile: tests/fuzz/fuzz_profile.c $(FUZZ_SRCS) $(wildcard include/brig/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_profile.c $(FUZZ_SRCS) $(LDLIBS)

fuzz: $(BUILD)/fuzz/fuzz_profile
	@mkdir -p $(BUILD)/fuzz/corpus
	@for f in profiles/* profiles/inc/*.inc; do \
	  [ -f "$$f" ] && cp "$$f" "$(BUILD)/fuzz/corpus/seed-$$(echo "$$f" | tr / -)"; done; true
	$(BUILD)/fuzz/fuzz_profile -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=8192 \
	  -dict=tests/fuzz/profile.dict -artifact_prefix=$(BUILD)/fuzz/ $(BUILD)/fuzz/corpus

man: $(BUILD)/brig.1
$(BUILD)/brig.1: docs/brig.1.scd | $(BUILD)/obj
	scdoc < $< > $@

install: $(BUILD)/brig $(BUILD)/brig.1
	install -D -m 0755 $(BUILD)/brig $(DESTDIR)$(PREFIX)/bin/brig
	install -D -m 0644 $(BUILD)/brig.1 $(DESTDIR)$(PREFIX)/share/man/man1/brig.1
	mkdir -p $(DESTDIR)$(PREFIX)/share/brig/profiles
	cp -R profiles/. $(DESTDIR)$(PREFIX)/share/brig/profiles/

clean:
	rm -rf $(BUILD)
