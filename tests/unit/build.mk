# SPDX-License-Identifier: GPL-2.0-or-later
#
# Host unit tests of libvssctl and vssctl (included by tools/vssctl/build.mk).
# `make unit-tests` builds and runs every tests/unit/*_test.c and runs every
# tests/unit/*_test.sh; each prints TAP, and the last line is the total
# "N passed, N failed, N skipped".  A program fails when it exits non-zero
# or prints a number of results other than its plan ("1..N").

UNIT_DIR     := tests/unit
UNIT_OBJDIR  := build/user/tests/unit
UNIT_SRCS    := $(sort $(wildcard $(UNIT_DIR)/*_test.c))
UNIT_BINS    := $(patsubst $(UNIT_DIR)/%.c,$(UNIT_OBJDIR)/%,$(UNIT_SRCS))
UNIT_SCRIPTS := $(sort $(wildcard $(UNIT_DIR)/*_test.sh))
UNIT_CFLAGS  := $(VSSCTL_CFLAGS) -I$(UNIT_DIR) -Wno-missing-prototypes

.PHONY: unit-tests unit-tests-build
unit-tests-build: $(UNIT_BINS)

# Static library: the tests reach the hidden internal functions.
$(UNIT_OBJDIR)/%: $(UNIT_DIR)/%.c $(UNIT_DIR)/tap.h $(LIBVSSCTL_A) $(VSSCTL_LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) $(UNIT_CFLAGS) $(CPPFLAGS) $(CFLAGS) -o $@ $< $(VSSCTL_LIB_OBJS) \
		$(LIBVSSCTL_A) $(LIBVSSCTL_LDLIBS)

unit-tests: $(UNIT_BINS) $(LIBVSSCTL_SO) $(VSSCTL_BIN)
	@pass=0; fail=0; skip=0; \
	for t in $(UNIT_BINS) $(UNIT_SCRIPTS); do \
		log=$(UNIT_OBJDIR)/$$(basename $$t).log; \
		echo "# $$t"; \
		case $$t in *.sh) bash $$t ;; *) $$t ;; esac > $$log 2>&1; rc=$$?; \
		grep -E '^(not ok|ok) ' $$log; \
		grep -E '^#   ' $$log; \
		p=$$(grep -c '^ok ' $$log); f=$$(grep -c '^not ok ' $$log); \
		s=$$(grep -Ec '^ok .*# *SKIP' $$log); p=$$((p - s)); \
		plan=$$(grep -Eo -m1 '^1\.\.[0-9]+' $$log | cut -c4-); \
		if [ "$$plan" != $$((p + s + f)) ]; then \
			echo "not ok - $$t: planned $${plan:-no plan}, printed $$((p + s + f)) results"; \
			f=$$((f + 1)); \
		fi; \
		if [ $$rc != 0 ] && [ $$f = 0 ]; then f=1; echo "not ok - $$t exited $$rc"; fi; \
		pass=$$((pass + p)); fail=$$((fail + f)); skip=$$((skip + s)); \
	done; \
	echo "$$pass passed, $$fail failed, $$skip skipped"; \
	[ $$fail = 0 ]
