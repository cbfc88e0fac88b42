// SPDX-License-Identifier: GPL-2.0
/*
 * A libesf application built against the installed libesf-dev (pkg-config
 * libesf) by scripts/deb-test, and run in the test VM against libesf0:
 * opens kernel session ID, seals a record, opens it again and compares.
 *
 *   esf-consumer ID
 */
#include <esf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	static const char msg[] = "installed libesf, kernel fast path";
	unsigned char rec[256], out[256];
	struct esf_session *s;
	ssize_t n, m;
	int err;

	if (argc != 2) {
		fprintf(stderr, "usage: esf-consumer ID\n");
		return 2;
	}
	err = esf_session_open((uint32_t)strtoul(argv[1], NULL, 10), 0, 0, &s);
	if (err) {
		fprintf(stderr, "esf-consumer: session %s: %s\n", argv[1], esf_strerror(err));
		return 1;
	}
	n = esf_seal(s, "aad", 3, msg, sizeof(msg), rec, sizeof(rec), NULL);
	m = n < 0 ? n : esf_open(s, "aad", 3, rec, (size_t)n, out, sizeof(out), NULL);
	esf_session_close(s);
	if (n < 0 || m < 0) {
		fprintf(stderr, "esf-consumer: %s\n", esf_strerror((int)(n < 0 ? n : m)));
		return 1;
	}
	if (m != (ssize_t)sizeof(msg) || memcmp(out, msg, sizeof(msg))) {
		fprintf(stderr, "esf-consumer: the record did not open to what was sealed\n");
		return 1;
	}
	printf("esf-consumer: sealed %zd bytes into %zd and opened them again\n", sizeof(msg), n);
	return 0;
}
