// SPDX-License-Identifier: GPL-2.0
/*
 * The facilitator's messages on the wire (facmsg.h). Everything read here
 * came through the broker: strict and bounded.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "enc.h"
#include "facmsg.h"
#include "hmac.h"
#include "jwe.h"
#include "m2m.h"

static const char *const names[ESFD_FAC__N] = {
	[ESFD_FAC_REG_REQ] = "esf:fkr",
	[ESFD_FAC_REG_ANS] = "esf:fka",
	[ESFD_FAC_GET_REQ] = "esf:fkq",
	[ESFD_FAC_GET_ANS] = "esf:fkg",
};

static bool is_req(enum esfd_fac_kind k)
{
	return k == ESFD_FAC_REG_REQ || k == ESFD_FAC_GET_REQ;
}

static bool is_reg(enum esfd_fac_kind k)
{
	return k == ESFD_FAC_REG_REQ || k == ESFD_FAC_REG_ANS;
}

bool esfd_fac_has_key(enum esfd_fac_kind k)
{
	return k == ESFD_FAC_REG_REQ || k == ESFD_FAC_GET_ANS;
}

const char *esfd_fac_name(enum esfd_fac_kind k)
{
	return k > ESFD_FAC_NONE && k < ESFD_FAC__N ? names[k] : "?";
}

enum esfd_fac_kind esfd_fac_kind_of(const json_t *pc)
{
	return (enum esfd_fac_kind)esfd_m2m_content_kind(pc, names, ESFD_FAC__N);
}

static int number_field(const json_t *o, const char *name, int64_t max, int64_t *out)
{
	const json_t *v = json_object_get(o, name);

	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return -EPROTO;
	*out = json_integer_value(v);
	return 0;
}

/* A key id: base64url of exactly ESFD_FAC_KID_LEN bytes, as it was sent. */
static int kid_field(const json_t *o, char kid[ESFD_FAC_KID_B64 + 1])
{
	const char *s = json_string_value(json_object_get(o, "kid"));
	uint8_t raw[ESFD_FAC_KID_LEN];

	if (!s || strlen(s) != ESFD_FAC_KID_B64 || esfd_m2m_get_b64(o, "kid", raw, sizeof(raw)))
		return -EPROTO;
	memcpy(kid, s, ESFD_FAC_KID_B64 + 1);
	return 0;
}

int esfd_fac_read(const json_t *pc, enum esfd_fac_kind want, struct esfd_facmsg *m)
{
	const json_t *o = json_object_get(pc, esfd_fac_name(want));
	size_t n = 4;	/* who, kid, iv, tag */

	memset(m, 0, sizeof(*m));
	if (esfd_fac_kind_of(pc) != want || !json_is_object(o))
		return -EPROTO;
	m->kind = want;
	m->who = json_string_value(json_object_get(o, is_reg(want) ? "rdr" : "own"));
	if (!m->who || esfd_id_check(m->who, strlen(m->who)) ||
	    esfd_m2m_get_b64(o, "iv", m->iv, sizeof(m->iv)) ||
	    esfd_m2m_get_b64(o, "tag", m->tag, sizeof(m->tag)))
		return -EPROTO;
	/* A retrieval may leave the key id out: the owner's newest key. */
	if (want == ESFD_FAC_GET_REQ && !json_object_get(o, "kid"))
		n--;
	else if (kid_field(o, m->kid))
		return -EPROTO;
	if (is_req(want) && (n++, esfd_m2m_get_b64(o, "nnc", m->nnc, sizeof(m->nnc))))
		return -EPROTO;
	if (want == ESFD_FAC_REG_REQ && (n++, number_field(o, "lft", ESFD_FAC_LFT_MAX, &m->lft)))
		return -EPROTO;
	if (!is_req(want) && (n++, number_field(o, "exp", ESFD_FAC_EXP_MAX, &m->exp)))
		return -EPROTO;
	if (esfd_fac_has_key(want) && (n++, esfd_m2m_get_b64(o, "ck", m->key, sizeof(m->key))))
		return -EPROTO;
	return json_object_size(o) == n ? 0 : -EPROTO;
}

static int set_str(json_t *o, const char *name, const char *s)
{
	return json_object_set_new(o, name, json_string(s)) ? -ENOMEM : 0;
}

static int set_int(json_t *o, const char *name, int64_t v)
{
	return json_object_set_new(o, name, json_integer((json_int_t)v)) ? -ENOMEM : 0;
}

json_t *esfd_fac_build(const struct esfd_facmsg *m)
{
	json_t *o = json_object();
	int err = o ? 0 : -ENOMEM;

	if (!err)
		err = set_str(o, is_reg(m->kind) ? "rdr" : "own", m->who);
	if (!err && m->kid[0])
		err = set_str(o, "kid", m->kid);
	if (!err && m->kind == ESFD_FAC_REG_REQ)
		err = set_int(o, "lft", m->lft);
	if (!err && !is_req(m->kind))
		err = set_int(o, "exp", m->exp);
	if (!err && is_req(m->kind))
		err = esfd_m2m_set_b64(o, "nnc", m->nnc, sizeof(m->nnc));
	if (!err)
		err = esfd_m2m_set_b64(o, "iv", m->iv, sizeof(m->iv));
	if (!err && esfd_fac_has_key(m->kind))
		err = esfd_m2m_set_b64(o, "ck", m->key, sizeof(m->key));
	if (!err)
		err = esfd_m2m_set_b64(o, "tag", m->tag, sizeof(m->tag));
	if (err) {
		json_decref(o);
		return NULL;
	}
	return json_pack("{s:o}", esfd_fac_name(m->kind), o);
}

/* One text field of the AAD and its terminating zero byte. */
static int field(uint8_t *out, size_t max, size_t *len, const char *s)
{
	size_t n = strlen(s) + 1;

	if (n > max - *len)
		return -ENOSPC;
	memcpy(out + *len, s, n);
	*len += n;
	return 0;
}

int esfd_fac_aad(const struct esfd_facmsg *m, const char *from, const char *to,
		 const char *rqi, const uint8_t *nnc, uint8_t *out, size_t max, size_t *len)
{
	char num[24] = "", nb[32];
	int err;

	if (is_req(m->kind) || !nnc)
		nnc = m->nnc;
	if (m->kind == ESFD_FAC_REG_REQ)
		snprintf(num, sizeof(num), "%" PRId64, m->lft);
	else if (!is_req(m->kind))
		snprintf(num, sizeof(num), "%" PRId64, m->exp);
	if (esfd_b64_encode(nnc, ESFD_FAC_NONCE_LEN, true, nb, sizeof(nb)))
		return -ENOSPC;
	*len = 0;
	err = field(out, max, len, esfd_fac_name(m->kind));
	if (!err)
		err = field(out, max, len, from);
	if (!err)
		err = field(out, max, len, to);
	if (!err)
		err = field(out, max, len, rqi);
	if (!err)
		err = field(out, max, len, m->who);
	if (!err)
		err = field(out, max, len, m->kid);
	if (!err)
		err = field(out, max, len, num);
	if (!err)
		err = field(out, max, len, nb);
	return err;
}

/* Ids are at most 255 characters, a rqi 64: the AAD fits 2 KiB. */
#define AAD_MAX 2048

static int fac_crypt(bool enc, const uint8_t lk[32], struct esfd_facmsg *m, const char *from,
		 const char *to, const char *rqi, const uint8_t *nnc)
{
	uint8_t aad[AAD_MAX];
	size_t n = 0, klen = esfd_fac_has_key(m->kind) ? sizeof(m->key) : 0;
	int err = esfd_fac_aad(m, from, to, rqi, nnc, aad, sizeof(aad), &n);

	if (!err)
		err = esfd_aes256gcm(enc, lk, m->iv, aad, n, m->key, klen, m->key, m->tag);
	if (err && !enc)
		OPENSSL_cleanse(m->key, sizeof(m->key));
	return err;
}

int esfd_fac_seal(const uint8_t lk[32], struct esfd_facmsg *m, const char *from,
		  const char *to, const char *rqi, const uint8_t *nnc)
{
	return fac_crypt(true, lk, m, from, to, rqi, nnc);
}

int esfd_fac_open(const uint8_t lk[32], struct esfd_facmsg *m, const char *from,
		  const char *to, const char *rqi, const uint8_t *nnc)
{
	return fac_crypt(false, lk, m, from, to, rqi, nnc) ? -EBADMSG : 0;
}

int esfd_fac_link_key(const uint8_t k14[32], const char *client, uint8_t out[32])
{
	return esfd_hmac_label(k14, "esfd facilitator", client, out);
}

/* The store ------------------------------------------------------------------ */

#define STORE_MAGIC "esfd-facilitator-store 1"

static int store_line(char *s, int64_t now, struct esfd_fac_key *k, bool *keep)
{
	char *f[6], *save = NULL;
	uint8_t kid[ESFD_FAC_KID_LEN];
	size_t i, n;
	char *end;
	long long t[2];

	for (i = 0; i < 6; i++) {
		f[i] = strtok_r(i ? NULL : s, " ", &save);
		if (!f[i])
			return -EINVAL;
	}
	if (strtok_r(NULL, " ", &save))
		return -EINVAL;
	for (i = 0; i < 2; i++) {
		errno = 0;
		t[i] = strtoll(f[3 + i], &end, 10);
		if (errno || *end || f[3 + i][0] < '0' || f[3 + i][0] > '9' || t[i] < 0 ||
		    t[i] > ESFD_FAC_EXP_MAX)
			return -EINVAL;
	}
	if (esfd_id_check(f[0], strlen(f[0])) || esfd_id_check(f[1], strlen(f[1])) ||
	    strlen(f[0]) > ESFD_ID_MAX || strlen(f[1]) > ESFD_ID_MAX ||
	    strlen(f[2]) != ESFD_FAC_KID_B64 ||
	    esfd_b64_decode(f[2], ESFD_FAC_KID_B64, true, kid, sizeof(kid), &n) ||
	    n != sizeof(kid) || strlen(f[5]) != 2 * ESFD_FAC_KEY_LEN ||
	    esfd_hex_decode(f[5], strlen(f[5]), k->key, sizeof(k->key), &n) ||
	    n != ESFD_FAC_KEY_LEN)
		return -EINVAL;
	strcpy(k->own, f[0]);
	strcpy(k->rdr, f[1]);
	strcpy(k->kid, f[2]);
	k->registered = t[0];
	k->expires = t[1];
	*keep = k->expires > now;
	return 0;
}

int esfd_fac_store_load(const char *path, int64_t now, struct esfd_fac_key *keys,
			size_t max, size_t *n, char *why, size_t whylen)
{
	size_t cap = (max + 2) * ESFD_FAC_STORE_LINE, len = 0, line = 1;
	char *buf, *s, *nl;
	struct stat st;
	ssize_t r;
	int fd, err = 0;

	*n = 0;
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return 0;
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "%.200s: %s", path, strerror(-err));
		return err;
	}
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) ||
	    (st.st_uid != 0 && st.st_uid != geteuid()) || (st.st_mode & 077)) {
		snprintf(why, whylen, "%.200s: not a regular file of root or ours with mode "
			 "0600 (mode %04o)", path, (unsigned int)(st.st_mode & 07777));
		close(fd);
		return -EACCES;
	}
	buf = malloc(cap + 1);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (len < cap && (r = read(fd, buf + len, cap - len)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		len += (size_t)r;
	}
	close(fd);
	buf[len] = '\0';
	if (!err && (len == cap || strlen(buf) != len))
		err = -EINVAL;
	s = buf;
	if (!err && (strncmp(s, STORE_MAGIC "\n", sizeof(STORE_MAGIC))))
		err = -EINVAL;
	for (s += sizeof(STORE_MAGIC); !err && *s; s = nl + 1) {
		bool keep = false;

		line++;
		nl = strchr(s, '\n');
		if (!nl) {
			err = -EINVAL;
			break;
		}
		*nl = '\0';
		if (*n >= max) {
			err = -EFBIG;
			break;
		}
		err = store_line(s, now, &keys[*n], &keep);
		if (!err && keep)
			(*n)++;
	}
	if (err) {
		snprintf(why, whylen, "%.200s: line %zu: %s", path, line,
			 err == -EFBIG ? "more keys than a facilitator holds" :
			 err == -EINVAL ? "not a facilitator store line" : strerror(-err));
		OPENSSL_cleanse(keys, max * sizeof(*keys));
		*n = 0;
	}
	OPENSSL_cleanse(buf, cap + 1);
	free(buf);
	return err;
}

int esfd_fac_store_save(const char *path, const struct esfd_fac_key *keys, size_t n)
{
	char tmp[4200], line[ESFD_FAC_STORE_LINE], hex[2 * ESFD_FAC_KEY_LEN + 1];
	size_t i;
	int fd, err;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	err = esfd_write_all(fd, STORE_MAGIC "\n", sizeof(STORE_MAGIC));
	for (i = 0; !err && i < n; i++) {
		int len;

		esfd_hex_encode(keys[i].key, sizeof(keys[i].key), hex);
		len = snprintf(line, sizeof(line), "%s %s %s %" PRId64 " %" PRId64 " %s\n",
			       keys[i].own, keys[i].rdr, keys[i].kid, keys[i].registered,
			       keys[i].expires, hex);
		err = len < 0 || len >= (int)sizeof(line) ? -EINVAL :
		      esfd_write_all(fd, line, (size_t)len);
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	OPENSSL_cleanse(line, sizeof(line));
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
}
