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

PKGS     := libseccomp libcap json-c libmnl libnftnl libnl-3.0 libnl-route-3.0 ldns
CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude \
            -DBRIG_VERSION=\"$(VERSION)\" -DBRIG_DATADIR=\"$(PREFIX)/share/brig\" $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# The libraries Debian ships as static archives are linked into the binary:
# the dynamic loader then maps and relocates one library at each launch
# instead of ten. libmnl has no archive. ldns is not linked at all: it
# cannot come without libcrypto, whose relocations made every start of brig
# 1.15-1.18x slower; the DNS responder and the probe load it when they
# first need it (brig/lib/ldns_lib.h). STATIC_LIBS=0 links everything
# dynamically.
# libnetfilter_queue: only its libmnl-based calls (nfq_nlmsg_*), which need
# nothing of libnfnetlink (its .pc names it; Debian ships no -dev for it).
STATIC_LIBS ?= 1
STATIC_PKGS := libseccomp libcap json-c libnftnl libnl-route-3.0 libnl-3.0
DLOPEN_PKGS := ldns
ifeq ($(STATIC_LIBS),1)
LDLIBS   += -Wl,-Bstatic $(shell pkg-config --libs $(STATIC_PKGS) 2>/dev/null) -lnetfilter_queue -Wl,-Bdynamic \
            $(shell pkg-config --libs $(filter-out $(STATIC_PKGS) $(DLOPEN_PKGS),$(PKGS)) 2>/dev/null) -lpthread -lm -ldl
else
LDLIBS   += $(shell pkg-config --libs $(filter-out $(DLOPEN_PKGS),$(PKGS)) 2>/dev/null) -lnetfilter_queue -ldl
endif

# Full RELRO: every imported function is bound at start and the table of
# their addresses is read-only after it, so a root process's GOT cannot be
# overwritten, and the processes brig forks (janitor, filter handler, the
# job's init) no longer each bind the same functions again on first call
# and copy the page they write it in: `brig run -- /bin/true` 0.965x.
LDFLAGS += -Wl,-z,relro,-z,now

ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
LDFLAGS += -fsanitize=address,undefined
endif

# One folder per subsystem (docs/architecture.md); objects mirror it.
SRCS    := $(sort $(shell find src -name '*.c'))
POLICIES := $(sort $(wildcard profiles/seccomp/*.policy))
OBJS    := $(SRCS:src/%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/seccomp_builtin.o
LIBOBJS := $(filter-out $(BUILD)/obj/main.o,$(OBJS))
UNIT    := $(sort $(shell find tests/unit -name '*.c'))
INTEG   := $(wildcard tests/integration/*.c)
HELPERS := $(patsubst tests/helpers/%.c,$(BUILD)/tests/helpers/%,$(wildcard tests/helpers/*.c))

# Debian packages for building, testing and benchmarking.
DEB_DEPS := build-essential pkg-config libseccomp-dev libcap-dev libjson-c-dev \
            libcriterion-dev libnl-3-dev libnl-route-3-dev scdoc bubblewrap crun firejail util-linux iproute2 procps \
            clang libclang-rt-14-dev git python3 curl openssl xz-utils \
            qemu-system-x86 busybox-static cpio kmod e2fsprogs zstd lz4 bzip2 \
            libmnl-dev libnftnl-dev libnetfilter-queue-dev libldns-dev libssl-dev nftables socat dnsmasq-base iperf3 \
            debootstrap dpkg-dev debian-archive-keyring nodejs

.PHONY: all deps check test unit integration vm-test demo bench install clean man probe-compare
all: $(BUILD)/brig

# -MMD -MP: each object's header dependencies, read back below.
$(BUILD)/obj/%.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

# The shipped seccomp policies, built into the binary so that brig works
# from a checkout and as a lone file; files in the profile path win.
$(BUILD)/gen/seccomp_builtin.c: $(POLICIES) scripts/gen-seccomp-builtin.sh
	@mkdir -p $(@D)
	scripts/gen-seccomp-builtin.sh $(POLICIES) > $@.tmp && mv $@.tmp $@

$(BUILD)/obj/gen/%.o: $(BUILD)/gen/%.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

-include $(OBJS:.o=.d)

$(BUILD)/brig: $(OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/obj $(BUILD)/tests $(BUILD)/tests/helpers $(BUILD)/bench:
	mkdir -p $@

# PREFIX is compiled in (where installed profiles live): rebuild what uses
# it whenever it changes.
$(BUILD)/obj/prefix.stamp: FORCE | $(BUILD)/obj
	@echo '$(PREFIX)' | cmp -s - $@ || echo '$(PREFIX)' > $@
$(BUILD)/obj/cli/profile.o $(BUILD)/obj/seccomp/seccomp_policy.o: $(BUILD)/obj/prefix.stamp
.PHONY: FORCE
FORCE:

$(BUILD)/tests/unit: $(UNIT) $(LIBOBJS) $(shell find include tests/unit -name '*.h') | $(BUILD)/tests
	$(CC) $(CFLAGS) -Itests/unit $(LDFLAGS) -o $@ $(UNIT) $(LIBOBJS) $(LDLIBS) -lcriterion \
		$(shell pkg-config --libs $(DLOPEN_PKGS) 2>/dev/null)

$(BUILD)/tests/integration-suite: $(INTEG) $(wildcard tests/integration/*.h) | $(BUILD)/tests
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $(INTEG) -lcriterion $(shell pkg-config --libs json-c 2>/dev/null)

$(BUILD)/tests/helpers/%: tests/helpers/%.c | $(BUILD)/tests/helpers
	$(CC) -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -O2 -o $@ $<

# Drives the firewall module itself, inside the tests' own network namespaces.
$(BUILD)/tests/helpers/firewall-tool: tests/helpers/firewall-tool.c $(BUILD)/obj/net/firewall.o $(BUILD)/obj/net/nft.o \
                                      $(BUILD)/obj/net/firewall_rules.o $(BUILD)/obj/net/firewall_table.o \
                                      $(BUILD)/obj/lib/util.o | $(BUILD)/tests/helpers
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

deps:
	@missing=""; for p in $(DEB_DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

# Everything: the layering check, both suites, the unit suite again under
# ASan and UBSan, the fuzzers for a minute each, and the integration suite
# inside a cgroup v2 guest kernel (tests/vm), which runs beside the host's
# parts; a summary of every part and failed test comes last (tests/all.sh).
test: deps check
	$(MAKE) $(BUILD)/brig $(BUILD)/tests/integration-suite $(HELPERS) $(BUILD)/tests/unit
	MAKE="$(MAKE)" FUZZ_SECONDS=$(FUZZ_SECONDS) tests/all.sh $(BUILD)

# The folders depend on each other one way only (docs/architecture.md).
# The quick checks make test starts with: the include layering, and that
# the manual page still builds (scdoc refuses some nestings of formatting,
# and make install needs the page).
check: $(BUILD)/brig.1
	python3 tests/check-layers.py
	tests/check-layers-test.sh

# The integration suite on a Debian kernel booted under qemu with cgroup v2
# as its only hierarchy (tests/vm/README.md): the limits this host's cgroup
# tree cannot give. Kernel and initramfs are cached in $(BUILD)/vm.
vm-test: $(BUILD)/brig $(BUILD)/tests/integration-suite $(HELPERS)
	tests/vm/run.sh $(BUILD)

unit: $(BUILD)/tests/unit
	$(BUILD)/tests/unit

# Twice, as root and as uid 65534: tests/integration/run.sh.
integration: $(BUILD)/brig $(BUILD)/tests/integration-suite $(HELPERS)
	tests/integration/run.sh $(BUILD)

demo: deps
	$(MAKE) $(BUILD)/brig
	@echo '== brig run --profile profiles/default -- sh -c "$$(cat tests/demo-job.sh)"'
	@$(BUILD)/brig run --profile profiles/default --hostname demo -- /bin/sh -c "$$(cat tests/demo-job.sh)"

# brig probe's score inside bubblewrap, firejail and brig: the README's table.
probe-compare: deps
	$(MAKE) $(BUILD)/brig
	tests/probe-compare.sh $(BUILD)/brig

$(BUILD)/bench/launch: tests/bench/launch.c | $(BUILD)/bench
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

$(BUILD)/bench/jobs: tests/bench/jobs.c | $(BUILD)/bench
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

# Links brig's own seccomp code: the filters exactly as brig compiles them.
$(BUILD)/bench/watch: tests/bench/watch.c $(LIBOBJS) | $(BUILD)/bench
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(LIBOBJS) $(LDLIBS)

$(BUILD)/bench/syscalls: tests/bench/syscalls.c | $(BUILD)/bench
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -o $@ $<

# Static: the floor of a start-up has no loader in it.
$(BUILD)/bench/floor: tests/bench/floor.c | $(BUILD)/bench
	$(CC) -O2 -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -static -o $@ $<

bench: deps
	$(MAKE) $(BUILD)/brig $(BUILD)/bench/launch $(BUILD)/bench/jobs $(BUILD)/bench/syscalls $(BUILD)/bench/watch $(BUILD)/bench/floor $(BUILD)/tests/helpers/dns-ask $(BUILD)/tests/helpers/deny-flood $(BUILD)/tests/helpers/bulk
	BUILD=$(BUILD) tests/bench/run.sh $(BUILD)/brig

# libFuzzer target for the profile reader (clang). `make fuzz` runs it for
# FUZZ_SECONDS, seeded with the shipped profiles; what it finds stays in
# $(BUILD)/fuzz/corpus, crashes land in $(BUILD)/fuzz/ as crash-*, leak-*.
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_CFLAGS  := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
                -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -Iinclude -DBRIG_VERSION=\"$(VERSION)\" \
                -DBRIG_DATADIR=\"$(PREFIX)/share/brig\" $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
FUZZ_SRCS    := $(filter-out src/main.c,$(SRCS)) $(BUILD)/gen/seccomp_builtin.c

.PHONY: fuzz
$(BUILD)/fuzz/fuzz_profile: tests/fuzz/fuzz_profile.c $(FUZZ_SRCS) $(shell find include -name '*.h')
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_profile.c $(FUZZ_SRCS) $(LDLIBS)

# The GitHub hook's request parser: hostile JSON from a workflow's author.
FUZZ_GHA_SRCS := src/ci/gha_input.c src/lib/util.c src/lib/err.c src/lib/log.c
$(BUILD)/fuzz/fuzz_gha_input: tests/fuzz/fuzz_gha_input.c $(FUZZ_GHA_SRCS) $(shell find include -name '*.h')
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_gha_input.c $(FUZZ_GHA_SRCS) $(LDLIBS)

# The ClientHello and HTTP Host parsers (src/net/tls_sni.c), seeded with a
# ClientHello and a request that tests/fuzz/sni-seeds.py writes.
$(BUILD)/fuzz/fuzz_sni: tests/fuzz/fuzz_sni.c src/net/tls_sni.c include/brig/net/tls_sni.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_sni.c src/net/tls_sni.c

# openat2's resolution in user space against the kernel's, on a tree of
# hostile links the target makes (src/lib/resolve.c).
$(BUILD)/fuzz/fuzz_resolve: tests/fuzz/fuzz_resolve.c src/lib/resolve.c include/brig/lib/resolve.h
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_resolve.c src/lib/resolve.c

# The name gate's packet path (src/net/egress_gate.c, with the parsers it
# calls): hostile IP and TCP headers and connection states, no kernel queue.
FUZZ_GATE_SRCS := src/net/egress_gate.c src/net/tls_sni.c src/lib/util.c src/lib/log.c
$(BUILD)/fuzz/fuzz_gate: tests/fuzz/fuzz_gate.c $(FUZZ_GATE_SRCS) $(shell find include -name '*.h')
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ tests/fuzz/fuzz_gate.c $(FUZZ_GATE_SRCS) $(LDLIBS)

fuzz: $(BUILD)/fuzz/fuzz_profile $(BUILD)/fuzz/fuzz_gha_input $(BUILD)/fuzz/fuzz_sni $(BUILD)/fuzz/fuzz_resolve \
      $(BUILD)/fuzz/fuzz_gate
	@mkdir -p $(BUILD)/fuzz/gate-corpus
	$(BUILD)/fuzz/fuzz_gate -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=4096 \
	  -artifact_prefix=$(BUILD)/fuzz/gate- $(BUILD)/fuzz/gate-corpus
	@mkdir -p $(BUILD)/fuzz/resolve-corpus
	$(BUILD)/fuzz/fuzz_resolve -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=512 \
	  -dict=tests/fuzz/resolve.dict -artifact_prefix=$(BUILD)/fuzz/resolve- $(BUILD)/fuzz/resolve-corpus
	@mkdir -p $(BUILD)/fuzz/sni-corpus
	python3 tests/fuzz/sni-seeds.py $(BUILD)/fuzz/sni-corpus
	$(BUILD)/fuzz/fuzz_sni -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=20000 \
	  -artifact_prefix=$(BUILD)/fuzz/sni- $(BUILD)/fuzz/sni-corpus
	@mkdir -p $(BUILD)/fuzz/gha-corpus
	cp tests/fuzz/gha/*.json $(BUILD)/fuzz/gha-corpus/
	$(BUILD)/fuzz/fuzz_gha_input -max_total_time=$(FUZZ_SECONDS) -timeout=10 -max_len=16384 \
	  -dict=tests/fuzz/gha.dict -artifact_prefix=$(BUILD)/fuzz/gha- $(BUILD)/fuzz/gha-corpus
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
	# The GitHub runner's hook names a .sh file (docs/github.md).
	mkdir -p $(DESTDIR)$(PREFIX)/lib/brig
	sed 's|@BINDIR@|$(PREFIX)/bin|' scripts/gha-hook.sh.in > $(DESTDIR)$(PREFIX)/lib/brig/gha-hook.sh
	chmod 0755 $(DESTDIR)$(PREFIX)/lib/brig/gha-hook.sh

clean:
	rm -rf $(BUILD)
