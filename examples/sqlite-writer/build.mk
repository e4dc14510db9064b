# SPDX-License-Identifier: GPL-2.0-or-later
#
# sqlite-writer - GNU make fragment, included from the top-level Makefile
# (run from the project root).  Builds build/examples/sqlite-writer
# against libvssctl and Debian's libsqlite3 (libsqlite3-dev); the test VM
# gets it in /opt/vss/bin (tools/vm/mkinitramfs).

ifndef SQLITE_WRITER_INCLUDED
SQLITE_WRITER_INCLUDED := 1

include libvssctl/build.mk

SQLITE_WRITER_DIR    := examples/sqlite-writer
SQLITE_WRITER_OBJDIR := build/user/examples/sqlite-writer
SQLITE_WRITER_BIN    := build/examples/sqlite-writer
SQLITE_WRITER_SRCS   := $(sort $(wildcard $(SQLITE_WRITER_DIR)/*.c))
SQLITE_WRITER_OBJS   := $(patsubst $(SQLITE_WRITER_DIR)/%.c,$(SQLITE_WRITER_OBJDIR)/%.o,$(SQLITE_WRITER_SRCS))
SQLITE_WRITER_CFLAGS := $(filter-out -fvisibility=hidden -fPIC,$(LIBVSSCTL_CFLAGS)) \
			$(shell pkg-config --cflags sqlite3)
# The in-tree library next door (build/examples -> libvssctl), as vssctl.
SQLITE_WRITER_LDFLAGS := -L$(LIBVSSCTL_DIR) -Wl,-rpath,'$$ORIGIN/../../libvssctl'
SQLITE_WRITER_LDLIBS := -lvssctl $(shell pkg-config --libs sqlite3) $(LIBVSSCTL_LDLIBS)

.PHONY: sqlite-writer
sqlite-writer: $(SQLITE_WRITER_BIN)

$(SQLITE_WRITER_OBJDIR)/%.o: $(SQLITE_WRITER_DIR)/%.c
	@mkdir -p $(@D)
	$(CC) $(SQLITE_WRITER_CFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(SQLITE_WRITER_BIN): $(SQLITE_WRITER_OBJS) $(LIBVSSCTL_SO)
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $(SQLITE_WRITER_OBJS) $(SQLITE_WRITER_LDFLAGS) \
		$(SQLITE_WRITER_LDLIBS)

-include $(SQLITE_WRITER_OBJS:.o=.d)

endif # SQLITE_WRITER_INCLUDED
