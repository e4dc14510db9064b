# SPDX-License-Identifier: GPL-2.0-or-later
#
# vssctl - GNU make fragment, included from the top-level Makefile (run from
# the project root) or used alone: make -f tools/vssctl/build.mk
#
# Targets: tools/vssctl/vssctl, vssctl-install, vssctl-clean, and (from the
# test fragments included at the end) unit-tests and fuzz.

ifndef VSSCTL_INCLUDED
VSSCTL_INCLUDED := 1

include libvssctl/build.mk

VSSCTL_DIR     := tools/vssctl
VSSCTL_OBJDIR  := build/user/vssctl
VSSCTL_BIN     := $(VSSCTL_DIR)/vssctl
VSSCTL_CFLAGS  := $(filter-out -fvisibility=hidden,$(LIBVSSCTL_CFLAGS)) -I$(VSSCTL_DIR) \
		  -DVSSCTL_VERSION='"$(LIBVSSCTL_VERSION)"' 
# In-tree runs find the library next door; installed copies use the system's.
VSSCTL_LDFLAGS := -L$(LIBVSSCTL_DIR) -Wl,-rpath,'$$ORIGIN/../../libvssctl'
VSSCTL_LDLIBS  := -lvssctl $(LIBVSSCTL_LDLIBS)
VSSCTL_SRCS    := $(sort $(wildcard $(VSSCTL_DIR)/*.c))
VSSCTL_OBJS    := $(patsubst $(VSSCTL_DIR)/%.c,$(VSSCTL_OBJDIR)/%.o,$(VSSCTL_SRCS))
# Everything but main(): linked into the unit tests too.
VSSCTL_LIB_OBJS := $(filter-out $(VSSCTL_OBJDIR)/main.o,$(VSSCTL_OBJS))

VSSCTL_PREFIX  ?= $(LIBVSSCTL_PREFIX)
VSSCTL_SBINDIR ?= $(VSSCTL_PREFIX)/sbin
VSSCTL_MANDIR  ?= $(LIBVSSCTL_MANDIR)
VSSCTL_COMPDIR ?= $(VSSCTL_PREFIX)/share/bash-completion/completions

.PHONY: vssctl vssctl-install vssctl-clean
vssctl: $(VSSCTL_BIN)

$(VSSCTL_OBJDIR)/%.o: $(VSSCTL_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(VSSCTL_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# vssctl -V is the library's version (from its version script)
$(VSSCTL_OBJDIR)/main.o: $(LIBVSSCTL_MAP)

$(VSSCTL_BIN): $(VSSCTL_OBJS) $(LIBVSSCTL_SO)
	$(CC) $(LDFLAGS) -o $@ $(VSSCTL_OBJS) $(VSSCTL_LDFLAGS) $(VSSCTL_LDLIBS)

# The installed program finds the installed library: no in-tree rpath.
$(VSSCTL_OBJDIR)/vssctl.install: $(VSSCTL_OBJS) $(LIBVSSCTL_SO)
	$(CC) $(LDFLAGS) -o $@ $(VSSCTL_OBJS) -L$(LIBVSSCTL_DIR) $(VSSCTL_LDLIBS)

vssctl-install: $(VSSCTL_OBJDIR)/vssctl.install
	install -d $(DESTDIR)$(VSSCTL_SBINDIR) $(DESTDIR)$(VSSCTL_MANDIR)/man8 \
		$(DESTDIR)$(VSSCTL_COMPDIR)
	install -m 0755 $< $(DESTDIR)$(VSSCTL_SBINDIR)/vssctl
	install -m 0644 $(VSSCTL_DIR)/vssctl.8 $(DESTDIR)$(VSSCTL_MANDIR)/man8/
	install -m 0644 $(VSSCTL_DIR)/vssctl.bash-completion \
		$(DESTDIR)$(VSSCTL_COMPDIR)/vssctl

vssctl-clean:
	rm -rf $(VSSCTL_OBJDIR) $(VSSCTL_BIN)

CLEAN_FILES += $(VSSCTL_BIN)

-include $(VSSCTL_OBJS:.o=.d)

-include tests/unit/build.mk
-include tests/fuzz/build.mk

endif # VSSCTL_INCLUDED
