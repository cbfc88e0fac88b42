#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# TAP helpers for the esf shell selftests (sourced, not run):
#   ok <description>               a passed test
#   not_ok <description> [detail]  a failed one; detail lines become comments
#   t <description> <command...>   ok when the command succeeds, else not ok
#                                  with $detail as its comment (then cleared)
#   stop_all <pid...>              SIGTERM, a moment, then SIGKILL
# $n counts the tests so far; $failed is 1 once any test failed, so a
# script ends with 'exit $failed'.

n=0 failed=0

ok() { n=$((n + 1)); echo "ok $n $1"; }
not_ok() {
	n=$((n + 1)) failed=1
	echo "not ok $n $1"
	[ -n "${2:-}" ] && sed 's/^/# /' <<<"$2"
}

t() {
	local d=$1
	shift
	if "$@"; then ok "$d"; else not_ok "$d" "${detail:-}"; fi
	detail=
}

stop_all() {
	local p
	for p in "$@"; do kill -TERM "$p" 2>/dev/null; done
	sleep 0.3
	for p in "$@"; do kill -KILL "$p" 2>/dev/null; done
}
