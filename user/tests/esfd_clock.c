// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's clock and log for the host tests that link the daemon's own files
 * (kernel.c, oneshot.c) against a fake kernel: the clock is time(2) moved
 * forward by esfd_test_clock_ahead; the log goes to stderr as TAP
 * comments, debug lines (one per session) left out.
 */
#include <stdarg.h>
#include <stdio.h>
#include <time.h>

#include "../esfd/esfd.h"
#include "esfd_clock.h"

int64_t esfd_test_clock_ahead;

int64_t esfd_now(const struct esfd *d)
{
	(void)d;
	return (int64_t)time(NULL) + esfd_test_clock_ahead;
}

void esfd_log(int level, const char *fmt, ...)
{
	va_list ap;

	if (level >= 7)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "# esfd %d: ", level);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
