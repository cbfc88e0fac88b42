// SPDX-License-Identifier: GPL-2.0
/*
 * Group keys on the wire (gkey.h): the wrapping key, the JWE of one epoch
 * for one member, and the Contents of the pull and of the wrapped key.
 * Everything read here came through the broker: strict and bounded.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/crypto.h>

#include "gkey.h"
#include "hmac.h"
#include "jwe.h"

int esfd_gkey_kek(const uint8_t k14[32], const char *grp, uint8_t kek[32])
{
	return esfd_hmac_label(k14, "esfd group key wrapping", grp, kek);
}

int esfd_gkey_mkek_kw(const uint8_t *lkey, size_t lkey_len, const char *local, uint8_t kw[32])
{
	static const char label[] = "esfd mediated key wrapping";
	struct esfd_buf m[] = {
		{ (const uint8_t *)label, sizeof(label) },	/* with its 0x00 */
		{ (const uint8_t *)local, strlen(local) },
	};

	if (esfd_id_check(local, strlen(local)))
		return -EINVAL;
	return esfd_hmac(ESFD_SHA256, lkey, lkey_len, m, 2, kw);
}

int esfd_gkey_mkek_dev(const uint8_t kw[32], const char *grp, const char *device,
		       uint8_t kek[32])
{
	static const uint8_t zero;
	struct esfd_buf m[] = {
		{ (const uint8_t *)grp, strlen(grp) },
		{ &zero, 1 },
		{ (const uint8_t *)device, strlen(device) },
	};

	if (esfd_id_check(grp, strlen(grp)) || esfd_id_check(device, strlen(device)))
		return -EINVAL;
	return esfd_hmac(ESFD_SHA256, kw, 32, m, 3, kek);
}

int esfd_gkey_mkek(const uint8_t *lkey, size_t lkey_len, const char *local, const char *grp,
		   const char *device, uint8_t kek[32])
{
	uint8_t kw[32];
	int err = esfd_gkey_mkek_kw(lkey, lkey_len, local, kw);

	if (!err)
		err = esfd_gkey_mkek_dev(kw, grp, device, kek);
	OPENSSL_cleanse(kw, sizeof(kw));
	return err;
}

/* The lengths the kernel takes for a group session's key. */
static bool key_len_ok(const char *alg, size_t n)
{
	if (!strcmp(alg, "gcm(aes)") || !strcmp(alg, "ccm(aes)"))
		return n == 16 || n == 24 || n == 32;
	if (!strcmp(alg, "authenc(hmac(sha256),cbc(aes))"))
		return n == 48 || n == 56 || n == 64;
	return false;
}

static json_t *body_json(const struct esfd_gkey *k)
{
	char key[esfd_b64_len(sizeof(k->key), true) + 1];
	char salt[esfd_b64_len(sizeof(k->salt), true) + 1];
	json_t *j;

	esfd_b64_encode(k->key, k->key_len, true, key, sizeof(key));
	esfd_b64_encode(k->salt, sizeof(k->salt), true, salt, sizeof(salt));
	j = json_pack("{s:s,s:I,s:i,s:i,s:s,s:i,s:s,s:s,s:I}", "grp", k->grp,
		      "epoch", (json_int_t)k->epoch, "sender", (int)k->sender,
		      "senders", (int)k->senders, "alg", k->alg, "tagLength", (int)k->tag_len,
		      "key", key, "salt", salt, "switchAt", (json_int_t)k->switch_at);
	/* A mediator learns its block from the server, with the key. */
	if (j && k->block_last &&
	    json_object_set_new(j, "block", json_pack("[i,i]", (int)k->block_first,
						      (int)k->block_last))) {
		json_decref(j);
		j = NULL;
	}
	OPENSSL_cleanse(key, sizeof(key));
	return j;
}

int esfd_gkey_wrap(const uint8_t kek[32], const struct esfd_gkey *k, const char *nnc,
		   char **out)
{
	json_t *h, *b;
	char *pt = NULL;
	int err = -ENOMEM;

	if (!key_len_ok(k->alg, k->key_len) || !k->epoch || k->sender >= k->senders ||
	    (k->block_last && (!k->block_first || k->block_first > k->block_last ||
			       k->block_last >= k->senders)))
		return -EINVAL;
	h = json_pack("{s:s,s:s,s:s,s:s,s:I}", "alg", "dir", "enc", "A256GCM",
		      "cty", ESFD_GKEY_CTY, "grp", k->grp, "epoch", (json_int_t)k->epoch);
	if (h && nnc && json_object_set_new(h, "nnc", json_string(nnc)))
		goto out;
	b = h ? body_json(k) : NULL;
	if (b)
		pt = json_dumps(b, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(b);
	if (pt)
		err = esfd_jwe_seal(kek, h, pt, strlen(pt), out);
out:
	if (pt) {
		OPENSSL_cleanse(pt, strlen(pt));
		free(pt);
	}
	json_decref(h);
	return err;
}

static int b64_field(const json_t *b, const char *name, uint8_t *out, size_t max, size_t *n)
{
	const char *s = json_string_value(json_object_get(b, name));

	return s && !esfd_b64_decode(s, strlen(s), true, out, max, n) ? 0 : -EPROTO;
}

static bool int_in(const json_t *b, const char *name, json_int_t lo, json_int_t hi,
		   json_int_t *v)
{
	const json_t *x = json_object_get(b, name);

	*v = json_integer_value(x);
	return json_is_integer(x) && *v >= lo && *v <= hi;
}

/* A mediator's "block": [FIRST, LAST] inside the group, FIRST above 0. */
static int block_read(const json_t *b, json_int_t senders, struct esfd_gkey *k)
{
	const json_t *a = json_object_get(b, "block");
	json_int_t lo, hi;

	if (!a)
		return 0;
	lo = json_integer_value(json_array_get(a, 0));
	hi = json_integer_value(json_array_get(a, 1));
	if (!json_is_array(a) || json_array_size(a) != 2 ||
	    !json_is_integer(json_array_get(a, 0)) || !json_is_integer(json_array_get(a, 1)) ||
	    lo < 1 || lo > hi || hi >= senders)
		return -EPROTO;
	k->block_first = (uint16_t)lo;
	k->block_last = (uint16_t)hi;
	return 0;
}

/* The sealed content, strictly: every member, nothing else (a mediator's
 * "block" besides).
 */
static int body_read(const json_t *b, struct esfd_gkey *k)
{
	const char *grp = json_string_value(json_object_get(b, "grp"));
	const char *alg = json_string_value(json_object_get(b, "alg"));
	json_int_t epoch, sender, senders, tag, at;
	size_t n;

	if (!json_is_object(b) || json_object_size(b) != 9u + !!json_object_get(b, "block") ||
	    !grp || !alg ||
	    strlen(grp) > ESFD_ID_MAX || strlen(alg) >= sizeof(k->alg) ||
	    !int_in(b, "epoch", 1, UINT32_MAX, &epoch) ||
	    !int_in(b, "senders", 1, UINT16_MAX, &senders) ||
	    !int_in(b, "sender", 0, senders - 1, &sender) ||
	    !int_in(b, "tagLength", 4, 32, &tag) ||
	    !int_in(b, "switchAt", 0, INT64_MAX, &at) ||
	    b64_field(b, "key", k->key, sizeof(k->key), &k->key_len) ||
	    b64_field(b, "salt", k->salt, sizeof(k->salt), &n) || n != sizeof(k->salt) ||
	    !key_len_ok(alg, k->key_len) || block_read(b, senders, k))
		return -EPROTO;
	strcpy(k->grp, grp);
	strcpy(k->alg, alg);
	k->epoch = (uint32_t)epoch;
	k->sender = (uint16_t)sender;
	k->senders = (uint16_t)senders;
	k->tag_len = (uint8_t)tag;
	k->switch_at = at;
	return 0;
}

/* Is the header what this member expects, before anything is decrypted? */
static int hdr_check(const struct esfd_jwe *p, const char *grp, const char *nnc)
{
	const json_t *hn = json_object_get(p->hdr, "nnc");

	if (strcmp(esfd_jwe_hdr(p, "grp"), grp))
		return -EKEYREJECTED;
	if (nnc ? !json_is_string(hn) || strcmp(json_string_value(hn), nnc) : !!hn)
		return -EKEYREJECTED;
	return json_is_integer(json_object_get(p->hdr, "epoch")) ? 0 : -EPROTO;
}

int esfd_gkey_unwrap(const uint8_t kek[32], const char *jwe, const char *grp, const char *nnc,
		     uint32_t min_epoch, struct esfd_gkey *k)
{
	uint8_t pt[ESFD_JWE_PT_MAX];
	struct esfd_jwe p;
	json_t *b = NULL;
	size_t n = 0;
	int err;

	memset(k, 0, sizeof(*k));
	err = esfd_jwe_parse(jwe, ESFD_GKEY_CTY, &p);
	if (!err)
		err = hdr_check(&p, grp, nnc);
	if (!err)
		err = esfd_jwe_open(&p, kek, pt, sizeof(pt), &n);
	if (!err) {
		b = json_loadb((const char *)pt, n, JSON_REJECT_DUPLICATES, NULL);
		err = body_read(b, k);
	}
	/* The header is authenticated (AAD) but must also say what the
	 * sealed content says: one epoch and one group, whoever reads which.
	 */
	if (!err && (strcmp(k->grp, grp) ||
		     json_integer_value(json_object_get(p.hdr, "epoch")) != k->epoch))
		err = -EKEYREJECTED;
	if (!err && k->epoch < min_epoch)
		err = -ESTALE;
	json_decref(b);
	esfd_jwe_free(&p);
	OPENSSL_cleanse(pt, sizeof(pt));
	if (err)
		esfd_gkey_wipe(k);
	return err;
}

void esfd_gkey_wipe(struct esfd_gkey *k)
{
	OPENSSL_cleanse(k, sizeof(*k));
}

json_t *esfd_gkp_content(const char *grp, const char *nnc, uint32_t have)
{
	return json_pack("{s:{s:s,s:s,s:I}}", "esf:gkp", "grp", grp, "nnc", nnc, "have",
			 (json_int_t)have);
}

json_t *esfd_gky_content(const char *jwe)
{
	return json_pack("{s:s}", "esf:gky", jwe);
}

enum esfd_gmsg esfd_gmsg_kind(const json_t *pc)
{
	if (!json_is_object(pc) || json_object_size(pc) != 1)
		return ESFD_GMSG_NONE;
	if (json_object_get(pc, "esf:gkp"))
		return ESFD_GMSG_PULL;
	return json_object_get(pc, "esf:gky") ? ESFD_GMSG_KEY : ESFD_GMSG_NONE;
}

int esfd_gkp_read(const json_t *pc, const char **grp, const char **nnc, uint32_t *have)
{
	const json_t *o = json_object_get(pc, "esf:gkp");
	uint8_t raw[ESFD_GKEY_NONCE_LEN];
	json_int_t h;
	size_t n;

	*grp = json_string_value(json_object_get(o, "grp"));
	*nnc = json_string_value(json_object_get(o, "nnc"));
	if (esfd_gmsg_kind(pc) != ESFD_GMSG_PULL || !json_is_object(o) ||
	    json_object_size(o) != 3 || !*grp || !*nnc || esfd_id_check(*grp, strlen(*grp)) ||
	    esfd_b64_decode(*nnc, strlen(*nnc), true, raw, sizeof(raw), &n) ||
	    n != sizeof(raw) || !int_in(o, "have", 0, UINT32_MAX, &h))
		return -EPROTO;
	*have = (uint32_t)h;
	return 0;
}

int esfd_gky_read(const json_t *pc, const char **jwe)
{
	*jwe = json_string_value(json_object_get(pc, "esf:gky"));
	return esfd_gmsg_kind(pc) == ESFD_GMSG_KEY && *jwe && **jwe &&
	       strlen(*jwe) <= ESFD_GKEY_JWE_MAX ? 0 : -EPROTO;
}

int esfd_gkey_nonce(char out[ESFD_GKEY_NONCE_B64 + 1])
{
	uint8_t raw[ESFD_GKEY_NONCE_LEN];

	if (getrandom(raw, sizeof(raw), 0) != sizeof(raw))
		return -EIO;
	return esfd_b64_encode(raw, sizeof(raw), true, out, ESFD_GKEY_NONCE_B64 + 1);
}
