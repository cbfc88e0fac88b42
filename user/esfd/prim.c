// SPDX-License-Identifier: GPL-2.0
/*
 * esfd's securityInfo primitives (TS-0004 m2m:securityInfo with short
 * names). The Content comes from anyone on the broker: it is read
 * strictly, and only an ESPrim Object (sit 5) is ever authenticated, by the
 * key it is sealed with (peer.c), never by anything here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "enc.h"
#include "prim.h"

#define SECI	"m2m:seci"

/* Members of @j: exactly the @n names listed. */
static int members_exactly(const json_t *j, const char *const *names, size_t n)
{
	const char *key;
	json_t *v;
	size_t i;

	json_object_foreach((json_t *)j, key, v) {
		for (i = 0; i < n; i++)
			if (!strcmp(key, names[i]))
				break;
		if (i == n)
			return -EPROTO;
	}
	return json_object_size(j) == n ? 0 : -EPROTO;
}

/* JWE compact: base64url parts and dots, nothing else. */
static bool esprim_text_ok(const char *s, size_t len)
{
	size_t i;

	if (!len || len > ESFD_PRIM_ESPRIM_MAX)
		return false;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
			return false;
	}
	return true;
}

int esfd_seci_content(const struct esfd_seci *s, json_t **pc)
{
	json_t *seci = json_pack("{s:i}", "sit", (int)s->sit), *v = NULL;
	int err = seci ? 0 : -ENOMEM;

	*pc = NULL;
	if (!err && s->sit == ESFD_SIT_RAND_RESP) {
		err = esfd_randobj_to_json(&s->rand, &v);
		if (!err && json_object_set_new(seci, "ero", v))
			err = -ENOMEM;
	} else if (!err && s->sit == ESFD_SIT_ESPRIM) {
		if (!s->esprim || !esprim_text_ok(s->esprim, strlen(s->esprim)))
			err = -EINVAL;
		else if (json_object_set_new(seci, "epo", json_string(s->esprim)))
			err = -ENOMEM;
	} else if (!err && s->sit == ESFD_SIT_CERTKE) {
		size_t n = esfd_b64_len(s->certke_len, false) + 1;
		char *t = NULL;

		if (!s->certke || !s->certke_len || s->certke_len > ESFD_PRIM_CERTKE_MAX)
			err = -EINVAL;
		else if (!(t = malloc(n)) || esfd_b64_encode(s->certke, s->certke_len, false, t, n))
			err = -ENOMEM;
		else if (json_object_set_new(seci, "eckm", json_string(t)))
			err = -ENOMEM;
		free(t);
	} else if (!err && s->sit != ESFD_SIT_RAND_REQ) {
		err = -EINVAL;
	}
	if (!err) {
		*pc = json_pack("{s:O}", SECI, seci);
		err = *pc ? 0 : -ENOMEM;
	}
	json_decref(seci);
	return err;
}

static int read_esprim(const json_t *seci, struct esfd_seci *s)
{
	static const char *const names[] = { "sit", "epo" };
	json_t *v = json_object_get(seci, "epo");

	if (members_exactly(seci, names, 2) || !json_is_string(v) ||
	    !esprim_text_ok(json_string_value(v), json_string_length(v)))
		return -EPROTO;
	s->esprim = strdup(json_string_value(v));
	return s->esprim ? 0 : -ENOMEM;
}

/* escertkeMessage: canonical standard base64 of 1..ESFD_PRIM_CERTKE_MAX bytes. */
static int read_certke(const json_t *seci, struct esfd_seci *s)
{
	static const char *const names[] = { "sit", "eckm" };
	json_t *v = json_object_get(seci, "eckm");
	size_t len;

	if (members_exactly(seci, names, 2) || !json_is_string(v) || !json_string_length(v))
		return -EPROTO;
	len = json_string_length(v);
	if (len > esfd_b64_len(ESFD_PRIM_CERTKE_MAX, false))
		return -EMSGSIZE;
	s->certke = malloc(ESFD_PRIM_CERTKE_MAX);
	if (!s->certke)
		return -ENOMEM;
	if (esfd_b64_decode(json_string_value(v), len, false, s->certke, ESFD_PRIM_CERTKE_MAX,
			    &s->certke_len) || !s->certke_len)
		return -EPROTO;
	return 0;
}

static int read_by_sit(const json_t *seci, bool response, int64_t now,
		       int64_t max_lifetime, struct esfd_seci *s)
{
	static const char *const sit_only[] = { "sit" };
	static const char *const with_rand[] = { "sit", "ero" };

	switch (s->sit) {
	case ESFD_SIT_RAND_REQ:
		return response ? -EPROTO : members_exactly(seci, sit_only, 1);
	case ESFD_SIT_RAND_RESP:
		if (!response || members_exactly(seci, with_rand, 2))
			return -EPROTO;
		return esfd_randobj_from_json(json_object_get(seci, "ero"), now, max_lifetime,
					      &s->rand);
	case ESFD_SIT_ESPRIM:
		return read_esprim(seci, s);
	case ESFD_SIT_CERTKE:
		return read_certke(seci, s);
	case ESFD_SIT_DAS_REQ:
	case ESFD_SIT_DAS_RESP:
		return response ? -EPROTO : -ENOSYS;
	}
	return -EPROTO;
}

int esfd_seci_read(const json_t *pc, bool response, int64_t now, int64_t max_lifetime,
		   struct esfd_seci *s)
{
	json_t *seci = json_object_get(pc, SECI), *sit;
	int err;

	memset(s, 0, sizeof(*s));
	if (!json_is_object(pc) || json_object_size(pc) != 1 || !json_is_object(seci))
		return -EPROTO;
	sit = json_object_get(seci, "sit");
	if (!json_is_integer(sit) || json_integer_value(sit) < 1 ||
	    json_integer_value(sit) > ESFD_SIT_CERTKE)
		return -EPROTO;
	s->sit = (uint8_t)json_integer_value(sit);
	err = read_by_sit(seci, response, now, max_lifetime, s);
	if (err)
		esfd_seci_free(s);
	return err;
}

void esfd_seci_free(struct esfd_seci *s)
{
	free(s->esprim);
	free(s->certke);
	explicit_bzero(s, sizeof(*s));
}
