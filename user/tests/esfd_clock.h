/* SPDX-License-Identifier: GPL-2.0 */
/* esfd_now() and esfd_log() for host tests of the daemon's files. */
#ifndef ESFD_CLOCK_H
#define ESFD_CLOCK_H

#include <stdint.h>

/* Seconds the tests move esfd's clock forward by. */
extern int64_t esfd_test_clock_ahead;

#endif /* ESFD_CLOCK_H */
