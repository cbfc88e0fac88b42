#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# Print -D flags describing the kernel API found in the headers under
# $1 (srctree) and $2 (objtree). kmod/compat.h is the only consumer.
# Each probe greps for the declaration itself, so a distribution kernel with
# a backported change is handled the same as the release that introduced it.

srctree=$1
inc=$srctree/include

probe() {
	# probe <file under include/> <extended regex> <macro>
	if grep -qsE "$2" "$inc/$1"; then
		printf ' -D%s' "$3"
	fi
}

# 6.3 changed the crypto completion callback from
# (struct crypto_async_request *, int) to (void *data, int).
probe linux/crypto.h 'typedef void \(\*crypto_completion_t\)\(void \*' \
	ESF_HAVE_COMPLETION_DATA

# 6.2 added timer_shutdown_sync() (Debian backports it to 6.1).
probe linux/timer.h 'int timer_shutdown_sync\(' ESF_HAVE_TIMER_SHUTDOWN

# 6.12 moved the unaligned accessors to <linux/unaligned.h>.
probe linux/unaligned.h '.' ESF_HAVE_LINUX_UNALIGNED

# io_uring commands on files (5.19), completed from task work with the
# issue flags (6.1 as Debian ships it, 6.2 upstream); 6.6 moved them to
# <linux/io_uring/cmd.h>, 6.10 reads the command through the SQE.
probe linux/fs.h 'int \(\*uring_cmd\)\(struct io_uring_cmd' ESF_HAVE_URING_CMD
probe linux/io_uring.h 'task_work_cb\)\(struct io_uring_cmd \*, unsigned\)' ESF_HAVE_URING_CMD_FLAGS
probe linux/io_uring/cmd.h 'task_work_cb\)\(struct io_uring_cmd \*, unsigned\)' ESF_HAVE_URING_CMD_FLAGS
probe linux/io_uring/cmd.h 'struct io_uring_cmd \{' ESF_HAVE_IO_URING_CMD_H
probe linux/io_uring/cmd.h 'io_uring_sqe_cmd\(' ESF_HAVE_IO_URING_SQE_CMD
probe linux/io_uring/cmd.h 'define io_uring_sqe_cmd\(sqe, type\)' ESF_HAVE_IO_URING_SQE_CMD_TYPED
probe linux/io_uring/cmd.h 'io_uring_cmd_from_tw\(struct io_tw_req' ESF_HAVE_URING_TW_REQ
probe linux/io_uring/cmd.h 'io_uring_cmd_done32\(' ESF_HAVE_URING_DONE32

echo
