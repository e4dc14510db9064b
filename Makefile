# SPDX-License-Identifier: GPL-2.0
#
# vss top-level Makefile.  `make help` lists the targets.
#
#   KVER=6.1|6.12   guest/target kernel (Debian's; default 6.1)
#   KDIR=...        build vss.ko against this kernel tree instead
#   T="a_test b"    selftests to run (default: all)

KVER ?= 6.1
KVERS ?= 6.1 6.12
export KVER

# The kernel is resolved when the recipe runs (tools/setup-deps may have
# just installed it); KDIR overrides KVER.
KBUILD_ARGS = $(if $(KDIR),--kdir $(KDIR),--kver $(KVER))

CC ?= cc
PKG_CONFIG ?= pkg-config
NL_CFLAGS = $(shell $(PKG_CONFIG) --cflags libnl-3.0 libnl-genl-3.0 2>/dev/null)
NL_LIBS = $(shell $(PKG_CONFIG) --libs libnl-3.0 libnl-genl-3.0 2>/dev/null)
USER_CFLAGS := -O2 -g -Wall -Wextra -std=gnu11 -D_GNU_SOURCE
export CC

.PHONY: all help setup kmod userspace selftests check check-host check-vm \
	check-crash check-faults check-rt check-debug fuzz-kernel fuzz-syz-check soak bench demo vm-shell lint regen clean install deb check-system FORCE

all: kmod userspace selftests

help:
	@echo "make [KVER=6.1|6.12]  build vss.ko, libvssctl, vssctl and the selftests"
	@echo "make check            host tests + selftests in a VM on both kernels"
	@echo "make check T=NAME     only the selftests named (both kernels; KVERS=6.12 for one)"
	@echo "make demo             backup and resync scenario in a VM"
	@echo "make bench            benchmarks against raw, dm-linear, dm-snapshot, dm-thin"
	@echo "make check-crash      long crash-consistency suite"
	@echo "make check-faults     long fault suite (device errors, hot removal, corrupted stores)"
	@echo "make soak MINUTES=N   fio, rolling snapshot sets, CBT, reads, resyncs for N minutes (KVER=6.12)"
	@echo "make check-rt         every selftest on Debian's PREEMPT_RT kernel (6.12-rt)"
	@echo "make check-debug      selftests, fault-injection sweeps, kmemleak on the debug kernel"
	@echo "make fuzz             libFuzzer on the message parser (FUZZ_SECONDS=300)"
	@echo "make fuzz-kernel      10^6 spec-driven netlink messages on the debug kernel (FUZZ_MESSAGES)"
	@echo "make fuzz-syz-check   tools/syzkaller/vss.txt covers the netlink spec"
	@echo "make vm-shell         a shell in the test VM with everything installed"
	@echo "make lint             checkpatch, kernel-doc, cppcheck"
	@echo "make regen            regenerate code from the netlink spec"
	@echo "make deb              Debian packages in build/deb (vss-dkms, libvssctl1, libvssctl-dev, vssctl)"
	@echo "make check-system     the packages on a Debian 12 system booted in a VM"

# Install build and test dependencies from Debian (fast when present).
setup:
	@tools/setup-deps

# ---- kernel module --------------------------------------------------------

kmod: setup
	+@tools/kbuild $(KBUILD_ARGS)

# ---- userspace: library, CLI, host tests (fragments owned by their dirs) --

-include libvssctl/build.mk
-include tools/vssctl/build.mk
-include examples/sqlite-writer/build.mk

USERSPACE_TARGETS := \
	$(if $(wildcard libvssctl/build.mk),libvssctl/libvssctl.so libvssctl/libvssctl.a libvssctl/libvssctl.pc) \
	$(if $(wildcard tools/vssctl/build.mk),tools/vssctl/vssctl) \
	$(if $(wildcard examples/sqlite-writer/build.mk),build/examples/sqlite-writer)

userspace: setup $(USERSPACE_TARGETS)

# ---- selftests (run in the VM) --------------------------------------------

KSRC := build/ksrc
KSRC_STAMP := $(KSRC)/.stamp
KSRC_FILES := tools/testing/selftests/kselftest_harness.h \
	tools/testing/selftests/kselftest.h scripts/checkpatch.pl \
	scripts/spelling.txt scripts/const_structs.checkpatch scripts/kernel-doc \
	tools/net/ynl Documentation/netlink/genetlink-legacy.yaml

# The parts of Debian's kernel source we use (never committed).
$(KSRC_STAMP): | setup
	@mkdir -p $(KSRC)
	@echo "  EXTRACT $(KSRC) from linux-source-6.12"
	@tar -C $(KSRC) --strip-components=1 -xJf /usr/src/linux-source-6.12.tar.xz \
		$(addprefix linux-source-6.12/,$(KSRC_FILES))
	@touch $@

SELFTEST_SRCS := $(wildcard selftests/vss/*.c)
SELFTEST_BINS := $(patsubst selftests/vss/%.c,build/selftests/%,$(SELFTEST_SRCS))
SELFTEST_CFLAGS := $(USER_CFLAGS) -Wno-unused-parameter -Wno-clobbered -I$(KSRC)/tools/testing/selftests -Iinclude/uapi \
	-Ilibvssctl -Iselftests/vss $(NL_CFLAGS)
SELFTEST_LIBS := $(if $(wildcard libvssctl/*.c),-Llibvssctl -lvssctl) $(NL_LIBS) -lpthread

selftests: $(SELFTEST_BINS)

build/selftests/%: selftests/vss/%.c $(wildcard selftests/vss/*.h) $(KSRC_STAMP) \
		$(filter libvssctl/libvssctl.so,$(USERSPACE_TARGETS)) | setup
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(SELFTEST_CFLAGS) -o $@ $< $(SELFTEST_LIBS)

# Guest tools of the crash suite (selftests/crash/run); in the guest with the selftests.
CRASH_BINS := $(patsubst selftests/crash/%.c,build/selftests/%,$(wildcard selftests/crash/*.c))
selftests: $(CRASH_BINS)
$(CRASH_BINS): build/selftests/%: selftests/crash/%.c selftests/vss/crc32.h | setup
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(USER_CFLAGS) -o $@ $< -lpthread

# LD_PRELOAD helper of the debug kernel's fault-injection sweeps
# (selftests/vss/debug_sweep.sh); in the guest with the selftests.
selftests: build/selftests/libvss_failon.so
build/selftests/libvss_failon.so: selftests/debug/failon.c | setup
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(USER_CFLAGS) -shared -fPIC -o $@ $<

# The spec-driven netlink fuzzer of make fuzz-kernel (in the guest with the
# selftests; not a *_test: it runs 10^6 messages on the debug kernel).  Its
# table of ops and attributes is generated from the spec.
selftests: build/selftests/nl_specfuzz
build/gen/vss_spec_fuzz.h: Documentation/netlink/specs/vss.yaml tools/syzkaller/specgen
	@mkdir -p $(dir $@)
	@echo "  GEN     $@"
	@tools/syzkaller/specgen --c $< > $@.tmp && mv $@.tmp $@
build/selftests/nl_specfuzz: selftests/debug/nl_specfuzz.c build/gen/vss_spec_fuzz.h \
		$(wildcard selftests/vss/*.h) $(KSRC_STAMP) \
		$(filter libvssctl/libvssctl.so,$(USERSPACE_TARGETS)) | setup
	@mkdir -p $(dir $@)
	@echo "  CC      $@"
	@$(CC) $(SELFTEST_CFLAGS) -Ibuild/gen -o $@ $< $(SELFTEST_LIBS)

# ---- running ----------------------------------------------------------------

# Host tests, then the selftests in a VM on every kernel of KVERS.
check: setup
	@tools/check

check-host: setup
	@tools/check --host-only

check-vm: setup
	@tools/check --vm-only

check-crash: setup
	@tools/check --crash

check-faults: setup
	@tools/check-faults

# The soak: fio on 4 LUNs, rolling snapshot sets, CBT queries, snapshot
# reads and resyncs for MINUTES (60) on KVER (6.12 unless given), with
# memory sampled each minute (selftests/soak/soak.sh, tools/soak).
soak: setup
	@KVER=$(if $(filter command line environment,$(origin KVER)),$(KVER),6.12) tools/soak $(MINUTES)

# The whole selftest suite on Debian's PREEMPT_RT kernel (6.12-rt); not in
# make check, which would pass its 20 minutes with a third kernel.
check-rt: setup
	@KVERS=6.12-rt tools/check --vm-only

# The engine's selftests, failslab/fail_make_request sweeps and a kmemleak
# scan on a KASAN/lockdep/kmemleak 6.12 kernel (tools/debug-kernel builds
# and caches it; Documentation/testing.rst).
check-debug: setup
	@tools/check-debug

# 10^6 spec-driven mutated netlink messages (FUZZ_MESSAGES) on the debug
# kernel, then the kernel log, leftover objects and kmemleak after rmmod.
fuzz-kernel: setup
	@tools/check-debug --fuzz $(FUZZ_MESSAGES)

# tools/syzkaller/vss.txt covers the spec (make check's host part).
fuzz-syz-check:
	@tools/syzkaller/specgen --check tools/syzkaller/vss.txt

bench: setup
	@tools/bench $(if $(filter 1,$(QUICK)),--quick) $(if $(CLASSES),--classes "$(CLASSES)")

demo: setup
	@tools/run-demo

vm-shell: all
	@tools/vm/run --kver $(KVER) --shell $(if $(DISKS),$(foreach d,$(DISKS),--disk $(d)))

# Install the library, vssctl and their man pages (DESTDIR, PREFIX), and
# vss.ko for KVER into /lib/modules/<release>/extra (then depmod).
install: all libvssctl-install vssctl-install
	@tools/kbuild $(KBUILD_ARGS) INSTALL_MOD_PATH=$(DESTDIR) INSTALL_MOD_DIR=extra modules_install

# Debian packages (debhelper, dh-dkms; lintian-checked) in build/deb/.
deb: setup
	@tools/mkdeb

# The packages installed, booted and used on a Debian 12 system in a VM.
check-system: deb
	@tools/system-vm/check

# ---- maintenance --------------------------------------------------------------

lint: setup $(KSRC_STAMP)
	@tools/lint

regen: setup $(KSRC_STAMP)
	@tools/ynl-regen

clean:
	rm -rf build $(CLEAN_FILES)
