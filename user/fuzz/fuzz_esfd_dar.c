// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for the data-at-rest object (esfd/dar.c): what the
 * hosting gateway parses from any writer, and what a reader opens. Beyond
 * not crashing, leaking or reading out of bounds: an object the parser
 * takes names the container and a resource name of "cin-" and 22
 * characters; opening it under a fixed key either fails leaving no byte
 * of content in the buffer or gives content; and the input sealed as content opens
 * again to the same bytes, in both kinds.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../esfd/dar.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char cid[] = "/CSE-MN-01/cnt-temp";

static void check_open(const struct esfd_key_pair *root, const char *obj, bool mic)
{
	static uint8_t pt[ESFD_DAR_PT_MAX];
	size_t n = 1, i;
	int err;

	memset(pt, 0xa5, sizeof(pt));
	err = esfd_dar_open(root, cid, mic, obj, pt, sizeof(pt), &n);
	/* A refusal leaves the buffer untouched or wiped: never part of a
	 * content.
	 */
	if (err) {
		if (n || (pt[0] && pt[0] != 0xa5))
			abort();
		for (i = 1; i < sizeof(pt); i++)
			if (pt[i] != pt[0])
				abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t kpsa[32] = { 1, 2, 3 };
	static const uint8_t nonce[ESFD_DAR_NONCE_LEN] = { 9 };
	static uint8_t pt[ESFD_DAR_PT_MAX];
	struct esfd_key_pair root;
	struct esfd_dar_hdr h;
	char *obj = malloc(size + 1);
	size_t n;
	int mic;

	if (!obj || esfd_dar_root(kpsa, sizeof(kpsa), cid, &root))
		abort();
	memcpy(obj, data, size);
	obj[size] = '\0';
	if (!esfd_dar_parse(obj, cid, &h) &&
	    (strncmp(h.rn, "cin-", 4) || strlen(h.rn) != 4 + 22))
		abort();
	check_open(&root, obj, false);
	check_open(&root, obj, true);
	free(obj);
	for (mic = 0; size && size <= ESFD_DAR_PT_MAX && mic < 2; mic++) {
		if (esfd_dar_seal(&root, cid, mic, nonce, data, size, &obj) ||
		    esfd_dar_parse(obj, cid, &h) ||
		    esfd_dar_open(&root, cid, mic, obj, pt, sizeof(pt), &n) || n != size ||
		    memcmp(pt, data, size))
			abort();
		free(obj);
	}
	esfd_key_pair_wipe(&root);
	return 0;
}
