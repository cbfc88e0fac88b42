# SPDX-License-Identifier: GPL-2.0
# Shell helpers shared by the scripts in this directory (sourced, not run).

ESF_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
ESF_BUILD=$ESF_TOP/build
ESF_VERSION=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ESF_TOP/dkms.conf")
# The kernel lines esf supports and tests on: Debian 12's own 6.1 and 6.12
# (installed by scripts/deps), and bullseye's 5.10 and sid's newest, which
# scripts/kernels fetches into build/kernels without installing them.
ESF_KERNELS="5.10 6.1 6.12 sid"
ESF_FETCHED_KERNELS="5.10 sid"
# apt and dpkg calls of these scripts take this lock first, so that
# concurrent runs (and other users of apt on the machine) take turns.
ESF_APT_LOCK=${ESF_APT_LOCK:-/tmp/esf-apt.lock}

die() {
	echo "${0##*/}: $*" >&2
	exit 2
}

apt_locked() { # apt_locked <command or function> [args...]
	(
		flock 9
		"$@"
	) 9>>"$ESF_APT_LOCK"
}

# kernel_root <release>: where that kernel's files are, "" for the host's
# own (/boot/vmlinuz-<release>, /lib/modules/<release>,
# /usr/src/linux-headers-<release>), else the root scripts/kernels made.
kernel_root() {
	if [ -e "$ESF_BUILD/kernels/$1/ready" ]; then
		echo "$ESF_BUILD/kernels/$1/root"
	elif [ -e "$ESF_BUILD/debug-kernel/$1/ready" ]; then
		echo "$ESF_BUILD/debug-kernel/$1/root"
	fi
}

kernel_headers() { # kernel_headers <release>
	echo "$(kernel_root "$1")/usr/src/linux-headers-$1"
}

# resolve_kernel <5.10|6.1|6.12|sid|debug|full release>: print the newest
# kernel release of that line that has both an image and headers, installed
# on the host or fetched into build/kernels; "debug" is the kernel
# scripts/debug-kernel built last (build/debug-kernel, never among the
# lines above: its release starts with 6.1 too).
resolve_kernel() {
	local want=$1 rel root best=
	if [ "$want" = debug ]; then
		rel=$(cat "$ESF_BUILD/debug-kernel/release" 2>/dev/null || true)
		[ -n "$rel" ] && [ -e "$ESF_BUILD/debug-kernel/$rel/ready" ] ||
			die "no debug kernel built yet (run scripts/debug-kernel)"
		echo "$rel"
		return
	fi
	if [ -e "$ESF_BUILD/debug-kernel/$want/ready" ]; then
		echo "$want"
		return
	fi
	if [ -e "$ESF_BUILD/kernels/$want.release" ]; then
		want=$(cat "$ESF_BUILD/kernels/$want.release")
	fi
	for rel in $( (ls /lib/modules; ls "$ESF_BUILD/kernels") 2>/dev/null | sort -uV); do
		case $rel in
		"$want" | "$want".* | "$want"-* | "$want"+*) ;;
		*) continue ;;
		esac
		root=$(kernel_root "$rel")
		[ -e "$root/boot/vmlinuz-$rel" ] && [ -e "$root/usr/src/linux-headers-$rel/Makefile" ] &&
			best=$rel
	done
	[ -n "$best" ] || die "no kernel $1 with image and headers (run scripts/deps)"
	echo "$best"
}

# exits_tap <times> <kernel>: one TAP result per program, from the
# "<program> <exit status> <seconds>" lines of the guest's esf-selftests or
# esf-debug-suite. A program's own TAP does not always show that it failed:
# one killed by the timeout before printing its plan, or one that crashed
# after its last result, leaves a file that sums up clean. Its exit status
# does not lie.
exits_tap() {
	awk -v rel="$2" '
	{ n++; r[n] = $0 }
	END {
		print "TAP version 13"
		print "1.." n
		for (i = 1; i <= n; i++) {
			split(r[i], f, " ")
			d = "kernel " rel ": " f[1] " exited " f[2] " after " f[3] " s"
			if (f[2] == 0) print "ok " i " " d
			else if (f[2] == 4) print "ok " i " " d " # SKIP"
			else if (f[2] == 124) print "not ok " i " " d " (killed by the selftest timeout)"
			else print "not ok " i " " d
		}
	}' "$1"
}
