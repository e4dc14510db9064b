# SPDX-License-Identifier: GPL-2.0-or-later
#
# libFuzzer target on libvssctl's message decoding (included by
# tools/vssctl/build.mk).  `make fuzz` runs it for FUZZ_SECONDS (default
# 300; `make check` passes 20) from a generated seed corpus; the corpus it
# grows and any crash reproducer stay in build/user/fuzz/.

FUZZ_SECONDS  ?= 300
FUZZ_CC       ?= clang
FUZZ_DIR      := tests/fuzz
FUZZ_OBJDIR   := build/user/fuzz
FUZZ_BIN      := $(FUZZ_OBJDIR)/fuzz_msg
FUZZ_SEEDGEN  := $(FUZZ_OBJDIR)/mkseeds
FUZZ_SANITIZE := -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS   := -O1 -g -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Iinclude/uapi \
		 -I$(LIBVSSCTL_DIR) -I$(VSSCTL_DIR) $(LIBVSSCTL_PKG_CFLAGS) -pthread
# vssctl's printers run on what the library decodes
FUZZ_CLI_SRCS := $(VSSCTL_DIR)/print.c $(VSSCTL_DIR)/common.c $(VSSCTL_DIR)/util.c

.PHONY: fuzz fuzz-build
fuzz-build: $(FUZZ_BIN) $(FUZZ_SEEDGEN)

# The library's sources are compiled into the fuzzer with instrumentation.
$(FUZZ_BIN): $(FUZZ_DIR)/fuzz_msg.c $(LIBVSSCTL_SRCS) $(FUZZ_CLI_SRCS) \
		$(wildcard $(LIBVSSCTL_DIR)/*.h $(VSSCTL_DIR)/*.h)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_SANITIZE) -o $@ $< $(LIBVSSCTL_SRCS) \
		$(FUZZ_CLI_SRCS) $(LIBVSSCTL_LDLIBS)

$(FUZZ_SEEDGEN): $(FUZZ_DIR)/mkseeds.c
	@mkdir -p $(@D)
	$(CC) $(FUZZ_CFLAGS) -o $@ $< $(LIBVSSCTL_LDLIBS)

fuzz: $(FUZZ_BIN) $(FUZZ_SEEDGEN)
	@mkdir -p $(FUZZ_OBJDIR)/corpus $(FUZZ_OBJDIR)/seeds $(FUZZ_OBJDIR)/artifacts
	@$(FUZZ_SEEDGEN) $(FUZZ_OBJDIR)/seeds
	$(FUZZ_BIN) -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -timeout=10 \
		-rss_limit_mb=1024 -print_final_stats=1 \
		-artifact_prefix=$(FUZZ_OBJDIR)/artifacts/ \
		$(FUZZ_OBJDIR)/corpus $(FUZZ_OBJDIR)/seeds
