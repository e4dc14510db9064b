# SPDX-License-Identifier: LGPL-2.1-or-later
#
# libvssctl - GNU make fragment, included from the top-level Makefile (run
# from the project root) or used alone: make -f libvssctl/build.mk
#
# Targets: libvssctl/libvssctl.so (+ .so.1), libvssctl/libvssctl.a,
#          libvssctl/libvssctl.pc, libvssctl-install, libvssctl-clean
# Objects go to build/user/ (git-ignored).

ifndef LIBVSSCTL_INCLUDED
LIBVSSCTL_INCLUDED := 1

LIBVSSCTL_SOVER    := 1
LIBVSSCTL_DIR      := libvssctl
# The package version follows the symbol versions: the last node of the
# version script, LIBVSSCTL_1.2 -> 1.2.0 (LIBVSSCTL_1 -> 1.0.0).  libvssctl.pc
# and vssctl -V use it; tests/unit/exports_test.sh checks that they agree.
LIBVSSCTL_NODE     := $(lastword $(shell sed -n 's/^\(LIBVSSCTL_[0-9.]*\) {.*/\1/p' $(LIBVSSCTL_DIR)/libvssctl.map))
LIBVSSCTL_VERSION  := $(patsubst LIBVSSCTL_%,%,$(LIBVSSCTL_NODE))$(if $(findstring .,$(LIBVSSCTL_NODE)),,.0).0
LIBVSSCTL_OBJDIR   := build/user/libvssctl
LIBVSSCTL_PKGS     := libnl-3.0 libnl-genl-3.0 blkid
LIBVSSCTL_PKG_CFLAGS := $(shell pkg-config --cflags $(LIBVSSCTL_PKGS))
LIBVSSCTL_PKG_LIBS   := $(shell pkg-config --libs $(LIBVSSCTL_PKGS))

LIBVSSCTL_PREFIX   ?= /usr/local
LIBVSSCTL_LIBDIR   ?= $(LIBVSSCTL_PREFIX)/lib
LIBVSSCTL_INCDIR   ?= $(LIBVSSCTL_PREFIX)/include
LIBVSSCTL_MANDIR   ?= $(LIBVSSCTL_PREFIX)/share/man

# Warnings and hardening shared by all userspace parts (vssctl, tests).
LIBVSSCTL_WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes \
		      -Wmissing-prototypes -Wformat=2
LIBVSSCTL_CFLAGS   := -O2 -g $(LIBVSSCTL_WARN) -std=gnu11 -fvisibility=hidden \
		      -fPIC -pthread -D_GNU_SOURCE -Iinclude/uapi -I$(LIBVSSCTL_DIR) \
		      $(LIBVSSCTL_PKG_CFLAGS)
LIBVSSCTL_LDLIBS   := $(LIBVSSCTL_PKG_LIBS) -pthread

LIBVSSCTL_SRCS     := $(sort $(wildcard $(LIBVSSCTL_DIR)/*.c))
LIBVSSCTL_OBJS     := $(patsubst $(LIBVSSCTL_DIR)/%.c,$(LIBVSSCTL_OBJDIR)/%.o,$(LIBVSSCTL_SRCS))
LIBVSSCTL_SO       := $(LIBVSSCTL_DIR)/libvssctl.so
LIBVSSCTL_SONAME   := libvssctl.so.$(LIBVSSCTL_SOVER)
LIBVSSCTL_A        := $(LIBVSSCTL_DIR)/libvssctl.a
LIBVSSCTL_PC       := $(LIBVSSCTL_DIR)/libvssctl.pc
LIBVSSCTL_MAP      := $(LIBVSSCTL_DIR)/libvssctl.map
LIBVSSCTL_MANS     := $(wildcard $(LIBVSSCTL_DIR)/man/*.3)

.PHONY: libvssctl libvssctl-install libvssctl-clean
libvssctl: $(LIBVSSCTL_SO) $(LIBVSSCTL_A) $(LIBVSSCTL_PC)

$(LIBVSSCTL_OBJDIR)/%.o: $(LIBVSSCTL_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(LIBVSSCTL_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# The real file carries the soname; libvssctl.so is the link-time name.
$(LIBVSSCTL_DIR)/$(LIBVSSCTL_SONAME): $(LIBVSSCTL_OBJS) $(LIBVSSCTL_MAP)
	$(CC) -shared -Wl,-soname,$(LIBVSSCTL_SONAME) \
		-Wl,--version-script=$(LIBVSSCTL_MAP) -Wl,-z,defs -Wl,--as-needed \
		$(LDFLAGS) -o $@ $(LIBVSSCTL_OBJS) $(LIBVSSCTL_LDLIBS)

$(LIBVSSCTL_SO): $(LIBVSSCTL_DIR)/$(LIBVSSCTL_SONAME)
	ln -sf $(LIBVSSCTL_SONAME) $@

$(LIBVSSCTL_A): $(LIBVSSCTL_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIBVSSCTL_PC): $(LIBVSSCTL_DIR)/libvssctl.pc.in $(LIBVSSCTL_DIR)/build.mk $(LIBVSSCTL_MAP)
	sed -e 's|@PREFIX@|$(LIBVSSCTL_PREFIX)|g' \
	    -e 's|@LIBDIR@|$(LIBVSSCTL_LIBDIR)|g' \
	    -e 's|@INCLUDEDIR@|$(LIBVSSCTL_INCDIR)|g' \
	    -e 's|@VERSION@|$(LIBVSSCTL_VERSION)|g' $< > $@

# DESTDIR-aware install of the library, its header, the uAPI header it
# needs, pkg-config file and section-3 man pages.
libvssctl-install: libvssctl
	install -d $(DESTDIR)$(LIBVSSCTL_LIBDIR)/pkgconfig \
		$(DESTDIR)$(LIBVSSCTL_INCDIR)/linux $(DESTDIR)$(LIBVSSCTL_MANDIR)/man3
	install -m 0755 $(LIBVSSCTL_DIR)/$(LIBVSSCTL_SONAME) $(DESTDIR)$(LIBVSSCTL_LIBDIR)/
	ln -sf $(LIBVSSCTL_SONAME) $(DESTDIR)$(LIBVSSCTL_LIBDIR)/libvssctl.so
	install -m 0644 $(LIBVSSCTL_A) $(DESTDIR)$(LIBVSSCTL_LIBDIR)/
	install -m 0644 $(LIBVSSCTL_PC) $(DESTDIR)$(LIBVSSCTL_LIBDIR)/pkgconfig/
	install -m 0644 $(LIBVSSCTL_DIR)/vssctl.h $(DESTDIR)$(LIBVSSCTL_INCDIR)/
	install -m 0644 include/uapi/linux/vss.h $(DESTDIR)$(LIBVSSCTL_INCDIR)/linux/
	$(if $(LIBVSSCTL_MANS),install -m 0644 $(LIBVSSCTL_MANS) $(DESTDIR)$(LIBVSSCTL_MANDIR)/man3/)

libvssctl-clean:
	rm -rf $(LIBVSSCTL_OBJDIR) $(LIBVSSCTL_SO) $(LIBVSSCTL_DIR)/$(LIBVSSCTL_SONAME) \
		$(LIBVSSCTL_A) $(LIBVSSCTL_PC)

# Outputs outside build/, for the top-level "make clean".
CLEAN_FILES += $(LIBVSSCTL_SO) $(LIBVSSCTL_DIR)/$(LIBVSSCTL_SONAME) \
	       $(LIBVSSCTL_A) $(LIBVSSCTL_PC)

-include $(LIBVSSCTL_OBJS:.o=.d)

endif # LIBVSSCTL_INCLUDED
