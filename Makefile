# SPDX-License-Identifier: GPL-2.0
#
# esf top-level Makefile. "make help" lists the targets.

VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
# KDIR picks the kernel headers; KVER (used by install) follows from it.
ifdef KDIR
KVER ?= $(shell cat '$(KDIR)/include/config/kernel.release' 2>/dev/null)
else
KVER ?= $(shell uname -r)
KDIR := /lib/modules/$(KVER)/build
endif
BUILD := $(CURDIR)/build
KSFT_SRC := $(BUILD)/linux-source-6.1
KSFT_DIR := $(KSFT_SRC)/tools/testing/selftests
PREFIX ?= /usr/local
DESTDIR ?=

export VERSION

.PHONY: all help module user selftests ksft-src deps check check-debug debug-kernel fuzz \
	style demo demo-groups demo-p2p bench soak \
	install modules_install user_install deb clean

all: module user

help:
	@echo 'esf $(VERSION): targets'
	@echo '  all (default)   esf.ko against KDIR, and the user programs'
	@echo '  module          esf.ko only (KDIR=<kernel build dir>, default $(KDIR))'
	@echo '  user            libesf, esfctl, esfd, esf-bench (into build/user)'
	@echo '  selftests       the kselftest programs (into build/selftests)'
	@echo '  deps            install missing Debian packages, fetch the 5.10 and sid kernels'
	@echo '  demo            the main job: build, boot the test VM, run the demo'
	@echo '  demo-groups     the fire-safety scene: group keys end to end, signed'
	@echo '                  broadcasts, revoke and join (KERNEL=5.10|6.1|6.12|sid)'
	@echo '  demo-p2p        the vehicular scene: peer-to-peer keys from certificates,'
	@echo '                  refusals, a single signed and encrypted message (KERNEL=...)'
	@echo '  check           every test: host units, style, DKMS, VM on 5.10, 6.1, 6.12, sid'
	@echo '  check-debug     the VM suite on the debug kernel (KASAN, lockdep, kmemleak,'
	@echo '                  fault injection): selftests, kmemleak after each, dbg_faults'
	@echo '  fuzz            DURATION=<s> [SEED=<n>]: esf_kfuzz on the debug kernel, then kmemleak'
	@echo '  debug-kernel    build (or find cached) the debug kernel under build/debug-kernel'
	@echo '  style           checkpatch --strict and sparse on the module'
	@echo '  bench           fast-path throughput in the VM (esf-bench, ratios)'
	@echo '  soak            SOAK_MINUTES=<m> (default 30) KERNEL=<5.10|6.1|6.12|sid> (default 6.1):'
	@echo '                  a compressed day in the VM: traffic, rekeys, esfd restarts and'
	@echo '                  reloads, a module reload; failed opens, slab, fds, sessions left'
	@echo '  install         modules_install + user_install (PREFIX=$(PREFIX))'
	@echo '  deb             Debian packages esf-dkms, esf-tools, libesf0, libesf-dev'
	@echo '                  into build/deb, checked with lintian'
	@echo '  clean           remove all build output'

module:
	@if [ ! -e '$(KDIR)/Makefile' ]; then \
		echo 'esf: no kernel build directory at $(KDIR)' >&2; \
		echo '     (the headers of kernel $(KVER) are not installed).' >&2; \
		echo '     Installed header trees to pick from:' >&2; \
		ls -d /usr/src/linux-headers-*/ 2>/dev/null | grep -v -- '-common' | \
			sed 's|/$$||; s|^|       make KDIR=|' >&2 || true; \
		echo '     or install the matching headers (apt-get install linux-headers-$$(uname -r)).' >&2; \
		exit 1; \
	fi
	$(MAKE) -C '$(KDIR)' M='$(CURDIR)' modules

user:
	$(MAKE) -C user O='$(BUILD)/user'

$(KSFT_SRC)/.stamp:
	scripts/ksft-src '$(KSFT_SRC)'

ksft-src: $(KSFT_SRC)/.stamp

selftests: ksft-src user
	@mkdir -p '$(BUILD)/selftests'
	$(MAKE) -C selftests KSFT_DIR='$(KSFT_DIR)' OUTPUT='$(BUILD)/selftests' \
		ESF_USER='$(BUILD)/user'

deps:
	scripts/deps

check:
	scripts/check

check-debug:
	scripts/check-debug

DURATION ?= 600
fuzz:
	scripts/deps
	scripts/fuzz $(if $(SEED),--seed $(SEED)) $(DURATION)

debug-kernel:
	scripts/deps
	scripts/debug-kernel

style:
	scripts/deps
	$(MAKE) ksft-src
	scripts/style

demo:
	scripts/demo

demo-groups:
	scripts/demo-groups $(KERNEL)

demo-p2p:
	scripts/demo-p2p $(KERNEL)

bench:
	scripts/bench

SOAK_MINUTES ?= 30
KERNEL ?= 6.1
soak:
	scripts/soak -k $(KERNEL) -m $(SOAK_MINUTES)

deb:
	scripts/deps
	scripts/deb

install: modules_install user_install

modules_install: module
	$(MAKE) -C '$(KDIR)' M='$(CURDIR)' modules_install
	depmod -a $(KVER)

user_install: user
	$(MAKE) -C user O='$(BUILD)/user' DESTDIR='$(DESTDIR)' PREFIX='$(PREFIX)' install

clean:
	@if [ -e '$(KDIR)/Makefile' ]; then $(MAKE) -C '$(KDIR)' M='$(CURDIR)' clean; fi
	rm -rf '$(BUILD)'
