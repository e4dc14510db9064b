# Prints libvssctl's version (libvssctl/build.mk derives it from the last
# node of libvssctl.map): make -s -f debian/version.mk
include libvssctl/build.mk
.PHONY: print-version
print-version:
	@echo $(LIBVSSCTL_VERSION)
.DEFAULT_GOAL := print-version
