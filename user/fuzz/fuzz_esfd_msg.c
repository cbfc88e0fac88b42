// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for esfd's peer message decoder. The first byte picks
 * what the rest is:
 *   0  a whole frame, checked against a fixed key ring (as from the network)
 *   1  a type byte and a payload, framed and tagged here with the ring's
 *      key, so that the fuzzer reaches the JSON behind the tag check (a
 *      peer that holds the key but sends garbage)
 *   2  a type byte and a payload for esfd_msg_payload_decode()
 *   3  a rand object's JSON text
 * Whatever decodes must encode again and decode to the same message.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../esfd/enc.h"
#include "../esfd/hmac.h"
#include "../esfd/msg.h"
#include "../esfd/randobj.h"

#define NOW 1767225600LL

static const char sender[] = "/CSE-MN-01", receiver[] = "/CSE-IN-01", kid[] = "kpsa-1";
static uint8_t key[ESFD_MSG_KEY_LEN];

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int get_key(void *arg, const char *s, const char *k,
		   uint8_t out[ESFD_MSG_KEY_LEN])
{
	(void)arg;
	if (strcmp(s, sender) || strcmp(k, kid))
		return -ENOKEY;
	memcpy(out, key, sizeof(key));
	return 0;
}

static const struct esfd_msg_ctx ctx = {
	.self_id = receiver, .now = NOW, .max_skew = 120,
	.get_key = get_key,
};

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	uint8_t kpsa[32];
	size_t i;

	(void)argc;
	(void)argv;
	for (i = 0; i < sizeof(kpsa); i++)
		kpsa[i] = (uint8_t)i;
	/* Deterministic and fast: no AF_ALG round trips per input. */
	if (esfd_crypto_select(ESFD_BACKEND_OPENSSL))
		abort();
	return esfd_msg_key_derive(kpsa, sizeof(kpsa), key) ? -1 : 0;
}

/* A decoded message must survive encode and decode unchanged. */
static void round_trip(const struct esfd_msg *m)
{
	struct esfd_msg again;
	uint8_t *f;
	size_t n;

	if (esfd_msg_encode(m, key, &f, &n))
		abort();
	if (esfd_msg_decode(f, n, &ctx, &again))
		abort();
	if (again.type != m->type || again.req_id != m->req_id ||
	    again.status != m->status || again.certke_len != m->certke_len ||
	    memcmp(&again.rand, &m->rand, sizeof(m->rand)) ||
	    (m->certke_len && memcmp(again.certke, m->certke, m->certke_len)))
		abort();
	esfd_msg_free(&again);
	free(f);
}

/* Frame @payload as the ring's peer would, with a valid tag. */
static uint8_t *frame(uint8_t type, const uint8_t *payload, size_t pl, size_t *len)
{
	size_t n = ESFD_MSG_HDR_LEN + 10 + 10 + 6 + pl + ESFD_MSG_TAG_LEN;
	uint8_t *f = calloc(1, n);
	struct esfd_buf in = { f, n - ESFD_MSG_TAG_LEN };

	if (!f)
		return NULL;
	memcpy(f, ESFD_MSG_MAGIC, 4);
	f[4] = ESFD_MSG_VERSION;
	f[5] = type;
	esfd_put_be32(f + 8, (uint32_t)n);
	esfd_put_be64(f + 20, (uint64_t)NOW);
	esfd_put_be16(f + 28, 10);
	esfd_put_be16(f + 30, 10);
	esfd_put_be16(f + 32, 6);
	esfd_put_be32(f + 36, (uint32_t)pl);
	memcpy(f + 40, sender, 10);
	memcpy(f + 50, receiver, 10);
	memcpy(f + 60, kid, 6);
	if (pl)
		memcpy(f + 66, payload, pl);
	esfd_hmac(ESFD_SHA256, key, sizeof(key), &in, 1, f + n - ESFD_MSG_TAG_LEN);
	*len = n;
	return f;
}

static void decode_frame(const uint8_t *data, size_t size)
{
	struct esfd_msg m;

	esfd_msg_frame_len(data, size);
	if (!esfd_msg_decode(data, size, &ctx, &m)) {
		round_trip(&m);
		esfd_msg_free(&m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esfd_randobj ro;
	struct esfd_msg m;
	uint8_t *f;
	size_t n;

	if (size < 2 || size > ESFD_MSG_MAX)
		return 0;
	switch (data[0] & 3) {
	case 0:
		decode_frame(data + 1, size - 1);
		break;
	case 1:
		f = frame(data[1], data + 2, size - 2, &n);
		if (f)
			decode_frame(f, n);
		free(f);
		break;
	case 2:
		memset(&m, 0, sizeof(m));
		esfd_msg_payload_decode(data[1], (const char *)data + 2, size - 2,
					&ctx, &m);
		esfd_msg_free(&m);
		break;
	case 3:
		esfd_randobj_decode((const char *)data + 1, size - 1, NOW, 0, &ro);
		break;
	}
	return 0;
}
