# SPDX-License-Identifier: GPL-2.0
# Shell helpers shared by the scripts in this directory (sourced, not run).

ESF_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ESF_BUILD=$ESF_TOP/build
ESF_VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ESF_TOP/dkms.conf")
# The two kernel lines esf supports and tests on.
ESF_KERNELS="6.1 6.12"

die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

# resolve_kernel <6.1|6.12|full release>: print the newest installed kernel
# release of that line that has both an image and headers.
resolve_kernel() {
	local want=$1 rel best=
	for rel in $(ls /lib/modules 2>/dev/null | sort -V); do
		case $rel in
		"$want" | "$want".* | "$want"-* | "$want"+*) ;;
		*) continue ;;
		esac
		[ -e "/boot/vmlinuz-$rel" ] && [ -e "/usr/src/linux-headers-$rel/Makefile" ] &&
			best=$rel
	done
	[ -n "$best" ] || die "no kernel $want with image and headers installed (run scripts/deps)"
	echo "$best"
}
