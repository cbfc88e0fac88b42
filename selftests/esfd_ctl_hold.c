// SPDX-License-Identifier: GPL-2.0
/*
 * A test helper for esf_esfd.sh, not a test: opens N connections to
 * esfd's control socket, sends nothing on them, and watches them for S
 * seconds. Prints one line per connection: when esfd closed it (seconds
 * after the connections were made, one decimal) or "open". esfd refuses
 * connections over a cap by closing them at once, and closes idle ones
 * after its idle timeout; this shows both from the client's side.
 *
 *   esfd_ctl_hold SOCKET N S
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define HOLD_MAX 64

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		close(fd);
		return -1;
	}
	return fd;
}

int main(int argc, char **argv)
{
	struct pollfd pfd[HOLD_MAX];
	double closed[HOLD_MAX], t0, end;
	char buf[64];
	int n, i, left;

	if (argc != 4 || (n = atoi(argv[2])) < 1 || n > HOLD_MAX || atoi(argv[3]) < 1) {
		fprintf(stderr, "usage: esfd_ctl_hold SOCKET N SECONDS (N 1..%d)\n", HOLD_MAX);
		return 2;
	}
	for (i = 0; i < n; i++) {
		pfd[i].fd = dial(argv[1]);
		pfd[i].events = POLLIN;
		closed[i] = -1;
		if (pfd[i].fd < 0) {
			fprintf(stderr, "connection %d: %s\n", i, strerror(errno));
			return 1;
		}
	}
	t0 = now_s();
	end = t0 + atoi(argv[3]);
	left = n;
	while (left && now_s() < end) {
		if (poll(pfd, (nfds_t)n, 100) < 0 && errno != EINTR)
			return 1;
		for (i = 0; i < n; i++) {
			if (pfd[i].fd < 0 || !pfd[i].revents)
				continue;
			/* esfd sends nothing unasked: readable means closed. */
			if (recv(pfd[i].fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
				continue;
			closed[i] = now_s() - t0;
			close(pfd[i].fd);
			pfd[i].fd = -1;
			left--;
		}
	}
	for (i = 0; i < n; i++) {
		if (closed[i] < 0)
			printf("connection %d: open\n", i);
		else
			printf("connection %d: closed %.1f\n", i, closed[i]);
	}
	return 0;
}
