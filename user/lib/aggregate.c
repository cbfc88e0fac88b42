// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Aggregates as JOSE: compact JWEs of many devices' sessions in, one
 * compact JWE of the gateway's session out, its payload the devices'
 * plaintexts framed (each preceded by its 32-bit big-endian length). The
 * kernel opens and seals (esf_aggregate(), ring.c); this file only takes
 * the JWEs apart and puts the result together. The compact form's AAD is
 * its encoded protected header, for the inputs as for the output.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esf_env.h"

/* What the payload is: framed plaintexts, for esf_aggregate_split(). */
#define AGG_CTY "esf-aggregate"

int esf_aggregate_split(const void *framed, size_t len, size_t *off, size_t *lens, size_t max)
{
	const uint8_t *p = framed;
	size_t at = 0, n = 0, l;

	while (at < len) {
		if (len - at < 4)
			return -ESF_E_FORMAT;
		l = (size_t)p[at] << 24 | (size_t)p[at + 1] << 16 | (size_t)p[at + 2] << 8 |
		    p[at + 3];
		if (l > len - at - 4)
			return -ESF_E_FORMAT;
		if (n == max)
			return -ENOSPC;
		off[n] = at + 4;
		lens[n++] = l;
		at += 4 + l;
	}
	return (int)n;
}

/* A JWE's record: encrypted key (A*KW) || IV || ciphertext || tag. */
static uint8_t *jwe_record(const struct jose_parts *p, size_t *len)
{
	uint8_t *rec;

	*len = p->ek_len + p->iv_len + p->ct_len + p->tag_len;
	rec = malloc(*len ? *len : 1);
	if (!rec)
		return NULL;
	if (p->ek_len)
		memcpy(rec, p->ek, p->ek_len);
	memcpy(rec + p->ek_len, p->iv, p->iv_len);
	memcpy(rec + p->ek_len + p->iv_len, p->ct, p->ct_len);
	memcpy(rec + p->ek_len + p->iv_len + p->ct_len, p->tag, p->tag_len);
	return rec;
}

/* The output's protected header, encoded: the session's, "cty" saying what it holds. */
static int agg_header(const struct esf_session *s, char **prot)
{
	json_t *h;
	char *text;
	int err = esf_jose_base_header(s, true, &h);

	if (err)
		return err;
	err = json_object_set_new(h, "cty", json_string(AGG_CTY)) ? -ENOMEM : 0;
	text = err ? NULL : esf_json_dump(h);
	json_decref(h);
	if (!text)
		return err ? err : -ENOMEM;
	*prot = esf_b64url_encode_alloc(text, strlen(text));
	free(text);
	return *prot ? 0 : -ENOMEM;
}

/* The handle's record (nonce || ciphertext || tag) as a "dir" compact JWE. */
static int agg_compact(const struct esf_session *s, const char *prot, const uint8_t *rec,
		       size_t len, char **out)
{
	size_t nl = s->info.nonce_len, tl = s->info.tag_len, ct = len - nl - tl, n;
	char *iv = esf_b64url_encode_alloc(rec, nl);
	char *c = esf_b64url_encode_alloc(rec + nl, ct);
	char *tag = esf_b64url_encode_alloc(rec + nl + ct, tl);
	int err = -ENOMEM;

	if (iv && c && tag) {
		n = strlen(prot) + strlen(iv) + strlen(c) + strlen(tag) + 5;
		*out = malloc(n);
		if (*out) {
			snprintf(*out, n, "%s..%s.%s.%s", prot, iv, c, tag);
			err = 0;
		}
	}
	free(iv);
	free(c);
	free(tag);
	return err;
}

/* Each JWE taken apart into its input; the parts and records to free after. */
static int agg_inputs(const char *const *jwes, const unsigned int *slots, size_t n,
		      struct jose_parts *parts, struct esf_agg_input *in)
{
	size_t i;
	int err;

	for (i = 0; i < n; i++) {
		err = esf_jose_split(jwes[i], strlen(jwes[i]), &parts[i]);
		if (err)
			return err;
		if (!parts[i].jwe || parts[i].form != ESF_JOSE_COMPACT)
			return -ESF_E_FORMAT;
		in[i].slot = slots[i];
		in[i].aad = parts[i].prot_b64;
		in[i].aad_len = strlen(parts[i].prot_b64);
		in[i].in = jwe_record(&parts[i], &in[i].in_len);
		if (!in[i].in)
			return -ENOMEM;
	}
	return 0;
}

int esf_jwe_aggregate(struct esf_session *s, const char *const *jwes,
		      const unsigned int *slots, size_t n, int *status, char **out)
{
	struct esf_agg_input *in = NULL;
	struct jose_parts *parts = NULL;
	char *prot = NULL;
	uint8_t *rec = NULL;
	size_t i, size = 0;
	ssize_t r;
	int err;

	if (!s || !jwes || !slots || !out || !n || n > ESF_AGG_MAX)
		return -EINVAL;
	if (s->info.alg != ESF_ALG_GCM_AES)
		return -ESF_E_ALG_MISMATCH;
	in = calloc(n, sizeof(*in));
	parts = calloc(n, sizeof(*parts));
	err = in && parts ? agg_inputs(jwes, slots, n, parts, in) : -ENOMEM;
	if (!err)
		err = agg_header(s, &prot);
	if (!err) {
		size = esf_aggregate_size(s, in, n);
		rec = size ? malloc(size) : NULL;
		err = !size ? -EINVAL : rec ? 0 : -ENOMEM;
	}
	if (!err) {
		r = esf_aggregate(s, prot, strlen(prot), in, n, rec, size, NULL);
		err = r < 0 ? (int)r : agg_compact(s, prot, rec, (size_t)r, out);
	}
	for (i = 0; in && parts && i < n; i++) {
		if (status)
			status[i] = err && !in[i].status ? -ECANCELED : in[i].status;
		free((void *)in[i].in);
		esf_jose_parts_free(&parts[i]);
	}
	free(in);
	free(parts);
	free(prot);
	free(rec);
	return err;
}
