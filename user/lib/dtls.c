// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * ESF Sm envelopes over DTLS 1.2 records (TR-0012 6.2.2.2.3.5): the payload
 * as DTLS application_data records, made and opened by the kernel on a
 * session with ESF_FRAMING_DTLS12 (record layout: <linux/esf.h>, enum
 * esf_framing), carried base64url-encoded in the envelope element's "dtls"
 * member. A payload longer than one record's 2^14 bytes takes several,
 * in order, one batch.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esf_env.h"

#define CT_APPLICATION_DATA	23
/* A record's bytes around its plaintext: header, explicit nonce, tag. */
#define DTLS_OVER		(ESF_DTLS_HEADER_LEN + ESF_DTLS_NONCE_LEN + 16)
/* As any envelope's payload: at most max_data of the usual sessions. */
#define DTLS_MAX_RECORDS	(ESF_MAX_DATA / ESF_DTLS_MAX_PLAIN)

bool esf_session_is_dtls(const struct esf_session *s)
{
	return s->info.alg == ESF_ALG_DTLS12_GCM_AES;
}

static size_t records_for(size_t len)
{
	return len ? (len + ESF_DTLS_MAX_PLAIN - 1) / ESF_DTLS_MAX_PLAIN : 1;
}

int esf_dtls_seal(struct esf_session *s, const void *in, size_t in_len, char **b64)
{
	static const uint8_t type = CT_APPLICATION_DATA;
	size_t n = records_for(in_len), i, at = 0, total = in_len + n * DTLS_OVER;
	struct esf_op ops[DTLS_MAX_RECORDS];
	uint8_t *recs;
	int err;

	if (n > DTLS_MAX_RECORDS)
		return -EMSGSIZE;
	recs = malloc(total);
	if (!recs)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		size_t len = in_len - at < ESF_DTLS_MAX_PLAIN ? in_len - at : ESF_DTLS_MAX_PLAIN;

		ops[i] = (struct esf_op){
			.op = ESF_OP_SEAL, .aad = &type, .aad_len = 1,
			.in = (const uint8_t *)in + at, .in_len = len,
			.out = recs + at + i * DTLS_OVER, .out_size = len + DTLS_OVER,
		};
		at += len;
	}
	err = esf_batch(s, ops, n);
	for (i = 0; !err && i < n; i++)
		err = ops[i].status;
	if (!err) {
		*b64 = esf_b64url_encode_alloc(recs, total);
		err = *b64 ? 0 : -ENOMEM;
	}
	free(recs);
	return err;
}

/* Split @buf into its records: each a whole DTLSCiphertext, in order. */
static int split_records(const uint8_t *buf, size_t len, struct esf_op *ops, size_t *n,
			 size_t *plain)
{
	size_t at = 0, rl;

	*n = 0;
	*plain = 0;
	while (at < len) {
		if (len - at < ESF_DTLS_HEADER_LEN || *n == DTLS_MAX_RECORDS)
			return -ESF_E_FORMAT;
		rl = ESF_DTLS_HEADER_LEN + ((size_t)buf[at + 11] << 8 | buf[at + 12]);
		if (rl > len - at || rl < DTLS_OVER || buf[at] != CT_APPLICATION_DATA)
			return -ESF_E_FORMAT;
		ops[*n] = (struct esf_op){ .op = ESF_OP_OPEN, .in = buf + at, .in_len = rl };
		*plain += rl - DTLS_OVER;
		(*n)++;
		at += rl;
	}
	return *n ? 0 : -ESF_E_FORMAT;
}

int esf_dtls_open(struct esf_session *s, const char *b64, void **out, size_t *out_len,
		  uint64_t *seq)
{
	struct esf_op ops[DTLS_MAX_RECORDS];
	size_t len, n, plain, at = 0, i;
	uint8_t *buf, *pt;
	int err;

	err = esf_b64url_decode(b64, strlen(b64), (void **)&buf, &len);
	if (err)
		return err;
	err = split_records(buf, len, ops, &n, &plain);
	pt = err ? NULL : malloc(plain + 1);
	if (!err && !pt)
		err = -ENOMEM;
	for (i = 0; !err && i < n; i++) {
		ops[i].out = pt + at;
		ops[i].out_size = ops[i].in_len - DTLS_OVER;
		at += ops[i].out_size;
	}
	if (!err)
		err = esf_batch(s, ops, n);
	for (i = 0; !err && i < n; i++)
		err = ops[i].status;
	free(buf);
	if (err) {
		/* Records that opened before one failed leave no plaintext. */
		if (pt)
			explicit_bzero(pt, plain);
		free(pt);
		return err;
	}
	pt[plain] = '\0';
	*out = pt;
	*out_len = plain;
	*seq = ops[0].seq;
	return 0;
}
