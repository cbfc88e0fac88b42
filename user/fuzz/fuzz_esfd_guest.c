// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target for what a guest gateway reads from anyone (guesttok.h,
 * docs/esfd.md "Guest devices"). The first byte picks what the rest is:
 *   0  a presentation's Content (JSON): read, its token read as a device
 *      token and its delegation as a delegation, the proof's signed input
 *      built
 *   1  a compact JWS read as a delegation token
 *   2  a compact JWS read as a revocation list, and its x5c certificates
 *   3  a grant JWE opened with a fixed device key
 *   4  an answer's Content (JSON)
 * Whatever reads must build again and read back the same.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../esfd/ecdh.h"
#include "../esfd/guesttok.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *dev_key;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return esfd_ecdh_ephemeral(&dev_key) ? -1 : 0;
}

/* A token's claims must build again into the same payload. */
static void token(const char *jws, const char *typ, enum esfd_gtok_kind kind, int depth)
{
	struct esfd_gtok t = { 0 };
	struct esfd_jws j;
	X509 *leaf;
	STACK_OF(X509) *chain;
	json_t *again;

	if (!esfd_jws_parse(jws, ESFD_GUEST_TOKEN_MAX, typ, &j) &&
	    !esfd_gtok_read(j.payload, kind, &t)) {
		again = esfd_gtok_payload(&t);
		if (!again || !json_equal(again, j.payload))
			abort();
		json_decref(again);
		if (kind == ESFD_GTOK_DEV && depth < 1)
			token(t.dlg, ESFD_GUEST_TYP_DLG, ESFD_GTOK_DLG, depth + 1);
		if (!esfd_jws_x5c(&j, &leaf, &chain)) {
			X509_free(leaf);
			sk_X509_pop_free(chain, X509_free);
		}
	}
	esfd_gtok_free(&t);
	esfd_jws_free(&j);
}

static void presentation(const json_t *pc)
{
	uint8_t tbs[ESFD_GUEST_POP_MAX];
	struct esfd_gpres p;
	json_t *again;
	size_t len;

	if (esfd_gsp_read(pc, &p))
		return;
	again = esfd_gsp_build(&p);
	if (!again || !json_equal(again, pc))
		abort();
	json_decref(again);
	if (esfd_gpres_tbs("dev", "gw", "net", &p, tbs, &len) || len > ESFD_GUEST_POP_MAX)
		abort();
	token(p.tok, ESFD_GUEST_TYP_DEV, ESFD_GTOK_DEV, 0);
}

static void revocation(const char *jws)
{
	struct esfd_grvk r = { 0 };
	struct esfd_jws j;
	size_t i;

	if (!esfd_jws_parse(jws, ESFD_GUEST_RVK_MAX, ESFD_GUEST_TYP_RVK, &j) &&
	    !esfd_grvk_read(j.payload, &r)) {
		for (i = 0; i < r.n; i++)
			if (!esfd_grvk_has(&r, r.jti[i]))
				abort();
	}
	esfd_grvk_free(&r);
	esfd_jws_free(&j);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t nnc[ESFD_GUEST_NONCE_LEN];
	struct esfd_ggrant g;
	struct esfd_gans an;
	char *s;
	json_t *pc;

	if (size < 1 || size > 70000)
		return 0;
	s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	switch (data[0] % 5) {
	case 0:
	case 4:
		pc = json_loadb(s, size - 1, JSON_REJECT_DUPLICATES, NULL);
		if (data[0] % 5 == 0)
			presentation(pc);
		else if (!esfd_gsa_read(pc, &an))
			esfd_ggrant_open(dev_key, an.jwe, "gw", nnc, &g);
		if (data[0] % 5 == 4)
			esfd_gans_free(&an);
		json_decref(pc);
		break;
	case 1:
		token(s, ESFD_GUEST_TYP_DLG, ESFD_GTOK_DLG, 0);
		break;
	case 2:
		revocation(s);
		break;
	case 3:
		esfd_ggrant_open(dev_key, s, "gw", nnc, &g);
		break;
	}
	free(s);
	return 0;
}
