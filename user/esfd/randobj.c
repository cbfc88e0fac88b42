// SPDX-License-Identifier: GPL-2.0
/*
 * esfd ESPrim rand objects: creation, strict JSON codec, and the canonical
 * binary form that sessionESPrimKey hashes. The JSON comes from peers, so
 * the decoder accepts one form only and says why it refused anything else.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "enc.h"
#include "randobj.h"

#define RAND_ID_BYTES		16
#define RAND_LIFETIME_MAX	(30 * 86400)

/*
 * TS-0004 short names: esprimRandID, esprimRandValue, esprimRandExpiry,
 * esprimKeyGenAlgIDs, esprimProtocolAndAlgIDs. Primitives carry short names
 * (JSON serialization, TS-0004 8.2), and the "oro" of an ESPrim Object
 * header uses the same form (docs/primitives.md).
 */
static const char *const members[] = { "esri", "esrv", "esrx", "esks", "espa" };

static bool keygen_known(unsigned int id)
{
	return id == ESFD_KEYGEN_HMAC_SHA256;
}

static bool prot_known(unsigned int id)
{
	return id >= ESFD_PROT_JWE_A128GCM && id <= ESFD_PROT_JWE_A256GCM;
}

/* The id goes into JWE headers ("ori", "rri") as is: URI unreserved only. */
static int id_check(const char *id, size_t len)
{
	size_t i;

	if (!len || len > ESFD_RAND_ID_MAX)
		return -EPROTO;
	for (i = 0; i < len; i++) {
		char c = id[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '.' ||
		      c == '_' || c == '~'))
			return -EPROTO;
	}
	return 0;
}

/* 1..ESFD_RAND_ALGS_MAX distinct ids 1..255, at least one known. */
static int list_check(const uint8_t *ids, size_t n, bool (*known)(unsigned int))
{
	bool any = false;
	size_t i, k;

	if (!n || n > ESFD_RAND_ALGS_MAX)
		return -EPROTO;
	for (i = 0; i < n; i++) {
		if (!ids[i])
			return -EPROTO;
		for (k = 0; k < i; k++)
			if (ids[k] == ids[i])
				return -EPROTO;
		any |= known(ids[i]);
	}
	return any ? 0 : -EOPNOTSUPP;
}

static int randobj_check(const struct esfd_randobj *ro)
{
	int err;

	err = id_check(ro->id, strnlen(ro->id, sizeof(ro->id)));
	if (err || ro->id[sizeof(ro->id) - 1])
		return -EINVAL;
	if (ro->expiry < 0)
		return -EINVAL;
	err = list_check(ro->keygen, ro->n_keygen, keygen_known);
	if (!err)
		err = list_check(ro->prot, ro->n_prot, prot_known);
	return err ? -EINVAL : 0;
}

static int fill_random(void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t r = getrandom(p, len, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* Offered lists must name algorithms this side can actually run. */
static bool all_known(const uint8_t *ids, size_t n, bool (*known)(unsigned int))
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!known(ids[i]))
			return false;
	return true;
}

int esfd_randobj_new(struct esfd_randobj *ro, int64_t now, uint32_t lifetime,
		     const uint8_t *keygen, size_t n_keygen,
		     const uint8_t *prot, size_t n_prot)
{
	uint8_t idbytes[RAND_ID_BYTES];
	int err;

	memset(ro, 0, sizeof(*ro));
	if (!lifetime || lifetime > RAND_LIFETIME_MAX || now < 0 ||
	    list_check(keygen, n_keygen, keygen_known) ||
	    list_check(prot, n_prot, prot_known) ||
	    !all_known(keygen, n_keygen, keygen_known) ||
	    !all_known(prot, n_prot, prot_known))
		return -EINVAL;
	err = fill_random(idbytes, sizeof(idbytes));
	if (!err)
		err = fill_random(ro->value, sizeof(ro->value));
	if (err) {
		memset(ro, 0, sizeof(*ro));
		return err;
	}
	esfd_b64_encode(idbytes, sizeof(idbytes), true, ro->id, sizeof(ro->id));
	ro->expiry = now + lifetime;
	ro->n_keygen = (uint8_t)n_keygen;
	memcpy(ro->keygen, keygen, n_keygen);
	ro->n_prot = (uint8_t)n_prot;
	memcpy(ro->prot, prot, n_prot);
	return 0;
}

bool esfd_randobj_expired(const struct esfd_randobj *ro, int64_t now)
{
	return now >= ro->expiry;
}

static json_t *ids_to_json(const uint8_t *ids, size_t n)
{
	json_t *a = json_array();
	size_t i;

	for (i = 0; a && i < n; i++) {
		if (json_array_append_new(a, json_integer(ids[i]))) {
			json_decref(a);
			return NULL;
		}
	}
	return a;
}

int esfd_randobj_to_json(const struct esfd_randobj *ro, json_t **out)
{
	char value[32], expiry[ESFD_TIME_LEN + 1];
	json_t *o;

	*out = NULL;
	if (randobj_check(ro) || esfd_time_format(ro->expiry, expiry))
		return -EINVAL;
	esfd_b64_encode(ro->value, sizeof(ro->value), false, value, sizeof(value));
	o = json_pack("{s:s, s:s, s:s, s:o*, s:o*}",
		      members[0], ro->id, members[1], value, members[2], expiry,
		      members[3], ids_to_json(ro->keygen, ro->n_keygen),
		      members[4], ids_to_json(ro->prot, ro->n_prot));
	if (!o)
		return -ENOMEM;
	/* "o*" drops a member whose value failed to build: catch that. */
	if (json_object_size(o) != 5) {
		json_decref(o);
		return -ENOMEM;
	}
	*out = o;
	return 0;
}

static int only_members(const json_t *j)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)j, key, v) {
		for (i = 0; i < sizeof(members) / sizeof(members[0]); i++)
			if (!strcmp(key, members[i]))
				break;
		if (i == sizeof(members) / sizeof(members[0]))
			return -EPROTO;
	}
	return json_object_size(j) == 5 ? 0 : -EPROTO;
}

static int ids_from_json(const json_t *a, uint8_t *ids, uint8_t *n,
			 bool (*known)(unsigned int))
{
	size_t i, cnt;

	if (!json_is_array(a))
		return -EPROTO;
	cnt = json_array_size(a);
	if (!cnt || cnt > ESFD_RAND_ALGS_MAX)
		return -EPROTO;
	for (i = 0; i < cnt; i++) {
		json_t *v = json_array_get(a, i);
		json_int_t x;

		if (!json_is_integer(v))
			return -EPROTO;
		x = json_integer_value(v);
		if (x < 1 || x > 255)
			return -EPROTO;
		ids[i] = (uint8_t)x;
	}
	*n = (uint8_t)cnt;
	return list_check(ids, cnt, known);
}

static int value_from_json(const json_t *v, uint8_t *out)
{
	size_t n;

	if (!json_is_string(v))
		return -EPROTO;
	if (esfd_b64_decode(json_string_value(v), json_string_length(v), false,
			    out, ESFD_RAND_VALUE_LEN, &n) || n != ESFD_RAND_VALUE_LEN)
		return -EPROTO;
	return 0;
}

static int expiry_from_json(const json_t *v, int64_t now, int64_t max_lifetime,
			    int64_t *expiry)
{
	if (!json_is_string(v) ||
	    esfd_time_parse(json_string_value(v), json_string_length(v), expiry))
		return -EPROTO;
	if (*expiry <= now)
		return -EKEYEXPIRED;
	if (max_lifetime > 0 && *expiry - now > max_lifetime)
		return -EKEYEXPIRED;
	return 0;
}

static int fields_from_json(const json_t *j, int64_t now, int64_t max_lifetime,
			    struct esfd_randobj *ro)
{
	json_t *id = json_object_get(j, members[0]);
	int err;

	if (!json_is_string(id) ||
	    id_check(json_string_value(id), json_string_length(id)))
		return -EPROTO;
	memcpy(ro->id, json_string_value(id), json_string_length(id));
	err = value_from_json(json_object_get(j, members[1]), ro->value);
	if (!err)
		err = ids_from_json(json_object_get(j, members[3]), ro->keygen,
				    &ro->n_keygen, keygen_known);
	if (!err)
		err = ids_from_json(json_object_get(j, members[4]), ro->prot,
				    &ro->n_prot, prot_known);
	/* Expiry last: a malformed object is malformed before it is stale. */
	if (!err)
		err = expiry_from_json(json_object_get(j, members[2]), now,
				       max_lifetime, &ro->expiry);
	return err;
}

int esfd_randobj_from_json(const json_t *j, int64_t now, int64_t max_lifetime,
			   struct esfd_randobj *ro)
{
	int err;

	memset(ro, 0, sizeof(*ro));
	if (!json_is_object(j))
		return -EPROTO;
	err = only_members(j);
	if (!err)
		err = fields_from_json(j, now, max_lifetime, ro);
	if (err)
		memset(ro, 0, sizeof(*ro));
	return err;
}

int esfd_randobj_decode(const char *buf, size_t len, int64_t now,
			int64_t max_lifetime, struct esfd_randobj *ro)
{
	json_error_t jerr;
	json_t *j;
	int err;

	memset(ro, 0, sizeof(*ro));
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!j)
		return -EPROTO;
	err = esfd_randobj_from_json(j, now, max_lifetime, ro);
	json_decref(j);
	return err;
}

int esfd_randobj_encode(const struct esfd_randobj *ro, char **out)
{
	json_t *j;
	int err;

	*out = NULL;
	err = esfd_randobj_to_json(ro, &j);
	if (err)
		return err;
	*out = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(j);
	return *out ? 0 : -ENOMEM;
}

int esfd_randobj_kdf_bytes(const struct esfd_randobj *ro, uint8_t *out,
			   size_t outmax, size_t *outlen)
{
	size_t idlen = strnlen(ro->id, sizeof(ro->id)), n = 0;
	size_t need = 2 + idlen + ESFD_RAND_VALUE_LEN + 8 + 2 + ro->n_keygen +
		      ro->n_prot;

	*outlen = 0;
	if (randobj_check(ro))
		return -EINVAL;
	if (need > outmax)
		return -ENOSPC;
	esfd_put_be16(out, (uint16_t)idlen);
	memcpy(out + 2, ro->id, idlen);
	n = 2 + idlen;
	memcpy(out + n, ro->value, ESFD_RAND_VALUE_LEN);
	n += ESFD_RAND_VALUE_LEN;
	esfd_put_be64(out + n, (uint64_t)ro->expiry);
	n += 8;
	out[n++] = ro->n_keygen;
	memcpy(out + n, ro->keygen, ro->n_keygen);
	n += ro->n_keygen;
	out[n++] = ro->n_prot;
	memcpy(out + n, ro->prot, ro->n_prot);
	*outlen = n + ro->n_prot;
	return 0;
}

int esfd_randobj_choose_prot(const struct esfd_randobj *receiver,
			     const struct esfd_randobj *originator)
{
	size_t i, k;

	for (i = 0; i < receiver->n_prot; i++) {
		if (!prot_known(receiver->prot[i]))
			continue;
		for (k = 0; k < originator->n_prot; k++)
			if (originator->prot[k] == receiver->prot[i])
				return receiver->prot[i];
	}
	return -EOPNOTSUPP;
}
