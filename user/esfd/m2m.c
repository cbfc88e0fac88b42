// SPDX-License-Identifier: GPL-2.0
/*
 * oneM2M primitives (TS-0004, JSON with short names) and the topics of the
 * MQTT binding (TS-0010). Input comes from a broker anyone on it may
 * publish to: every member is checked for presence, type and range before
 * it is used, and the caller learns the response status code to answer a
 * malformed request with. docs/primitives.md describes each field.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "enc.h"
#include "m2m.h"

int esfd_m2m_parse(const void *buf, size_t len, json_t **out)
{
	json_t *j;

	*out = NULL;
	if (len > ESFD_M2M_MSG_MAX)
		return -EMSGSIZE;
	/* jansson refuses invalid UTF-8 and, without JSON_ALLOW_NUL, "\u0000". */
	j = json_loadb(buf, len, JSON_REJECT_DUPLICATES, NULL);
	if (!json_is_object(j)) {
		json_decref(j);
		return -EPROTO;
	}
	*out = j;
	return 0;
}

bool esfd_m2m_id_ok(const char *id)
{
	size_t n = strnlen(id, ESFD_ID_MAX + 1);

	return !esfd_id_check(id, n) && !strpbrk(id, "+#:");
}

/* Request parameters of TS-0004 that esf does not implement: 5001. */
static bool not_implemented(const char *k)
{
	static const char *const names[] = {
		"rset", "oet", "rt", "rp", "rcn", "ec", "da", "gid", "fc", "drt",
		"tids", "ltids", "tqi", "nid", "sqi", "rtu", "vsi", NULL,
	};
	size_t i;

	for (i = 0; names[i]; i++)
		if (!strcmp(k, names[i]))
			return true;
	return false;
}

static bool rvi_ok(const char *v)
{
	return !strcmp(v, "2a") || !strcmp(v, "3") || !strcmp(v, "4") || !strcmp(v, "5");
}

/* "YYYYMMDDTHHMMSS", optionally ",fraction" (ignored). */
static int timestamp_read(const char *s, int64_t *t)
{
	size_t n = strlen(s), i;

	if (n > ESFD_TIME_LEN) {
		if (s[ESFD_TIME_LEN] != ',' || n == ESFD_TIME_LEN + 1 || n > ESFD_TIME_LEN + 10)
			return -EINVAL;
		for (i = ESFD_TIME_LEN + 1; i < n; i++)
			if (s[i] < '0' || s[i] > '9')
				return -EINVAL;
		n = ESFD_TIME_LEN;
	}
	return esfd_time_parse(s, n, t);
}

static bool rqi_ok(const char *s)
{
	size_t n = strnlen(s, ESFD_M2M_RQI_MAX + 1);

	return n <= ESFD_M2M_RQI_MAX && !esfd_id_check(s, n);
}

/* One member of a request; 0 or the status code to refuse it with. */
static int req_member(const char *k, json_t *v, struct esfd_m2m_req *r, const char **why)
{
	const char *s = json_string_value(v);

	if (!strcmp(k, "op")) {
		*why = "op must be an integer 1..5";
		if (!json_is_integer(v) || json_integer_value(v) < 1 || json_integer_value(v) > 5)
			return ESFD_RSC_BAD_REQUEST;
		r->op = (int)json_integer_value(v);
	} else if (!strcmp(k, "to") || !strcmp(k, "fr")) {
		*why = "to and fr must be oneM2M ids (printable ASCII, no '+', '#', ':')";
		if (!s || !esfd_m2m_id_ok(s))
			return ESFD_RSC_BAD_REQUEST;
		*(k[0] == 't' ? &r->to : &r->fr) = s;
	} else if (!strcmp(k, "rqi")) {
		*why = "rqi must be 1..128 printable ASCII characters";
		if (!s || !rqi_ok(s))
			return ESFD_RSC_BAD_REQUEST;
		r->rqi = s;
	} else if (!strcmp(k, "rvi")) {
		*why = "rvi must be a string";
		if (!s)
			return ESFD_RSC_BAD_REQUEST;
		r->rvi = s;
	} else if (!strcmp(k, "pc")) {
		*why = "pc must be an object";
		if (!json_is_object(v))
			return ESFD_RSC_BAD_REQUEST;
		r->pc = v;
	} else if (!strcmp(k, "ot")) {
		*why = "ot must be a timestamp";
		if (!s)
			return ESFD_RSC_BAD_REQUEST;
	} else if (!strcmp(k, "rqet")) {
		*why = "rqet must be a timestamp YYYYMMDDTHHMMSS";
		if (!s || timestamp_read(s, &r->rqet))
			return ESFD_RSC_BAD_REQUEST;
	} else if (!strcmp(k, "ty")) {
		*why = "ty must be an integer 0..65535";
		if (!json_is_integer(v) || json_integer_value(v) < 0 ||
		    json_integer_value(v) > 65535)
			return ESFD_RSC_BAD_REQUEST;
		r->ty = (long)json_integer_value(v);
	} else if (not_implemented(k)) {
		*why = "a request parameter esf does not implement";
		return ESFD_RSC_NOT_IMPLEMENTED;
	} else {
		*why = "unknown request parameter";
		return ESFD_RSC_BAD_REQUEST;
	}
	return 0;
}

int esfd_m2m_req_read(json_t *j, struct esfd_m2m_req *r, const char **why)
{
	const char *k;
	json_t *v;
	int rsc;

	const char *w;
	int first = 0;

	memset(r, 0, sizeof(*r));
	r->ty = -1;
	*why = "";
	/* Every member is read even after a bad one, so that the refusal can
	 * still name the request (rqi) and its originator (fr).
	 */
	json_object_foreach(j, k, v) {
		rsc = req_member(k, v, r, &w);
		if (rsc && !first) {
			first = rsc;
			*why = w;
		}
	}
	if (first)
		return first;
	*why = "op, to, fr, rqi and rvi are required";
	if (!r->op || !r->to || !r->fr || !r->rqi || !r->rvi)
		return ESFD_RSC_BAD_REQUEST;
	*why = "release versions 2a, 3, 4 and 5 are supported";
	if (!rvi_ok(r->rvi))
		return ESFD_RSC_RELEASE_VERSION_NOT_SUPPORTED;
	*why = "";
	return 0;
}

int esfd_m2m_rsp_read(json_t *j, struct esfd_m2m_rsp *r)
{
	const char *k;
	json_t *v;

	memset(r, 0, sizeof(*r));
	json_object_foreach(j, k, v) {
		const char *s = json_string_value(v);

		if (!strcmp(k, "rsc")) {
			if (!json_is_integer(v) || json_integer_value(v) < 1000 ||
			    json_integer_value(v) > 6999)
				return -EPROTO;
			r->rsc = (int)json_integer_value(v);
		} else if (!strcmp(k, "rqi")) {
			if (!s || !rqi_ok(s))
				return -EPROTO;
			r->rqi = s;
		} else if (!strcmp(k, "to") || !strcmp(k, "fr")) {
			if (!s || !esfd_m2m_id_ok(s))
				return -EPROTO;
			*(k[0] == 't' ? &r->to : &r->fr) = s;
		} else if (!strcmp(k, "rvi") || !strcmp(k, "ot")) {
			if (!s)
				return -EPROTO;
		} else if (!strcmp(k, "pc")) {
			r->pc = v;
		} else {
			return -EPROTO;
		}
	}
	if (!r->rsc || (!r->rqi && r->rsc != ESFD_RSC_BAD_REQUEST))
		return -EPROTO;
	return 0;
}

/* Set @k to @v (consumed) unless @v is NULL; false when out of memory. */
static bool put(json_t *o, const char *k, json_t *v)
{
	return v && !json_object_set_new(o, k, v);
}

json_t *esfd_m2m_request(int op, const char *to, const char *fr, const char *rqi,
			 int64_t rqet, json_t *pc)
{
	char ts[ESFD_TIME_LEN + 1];
	json_t *o = json_pack("{s:i,s:s,s:s,s:s,s:s}", "op", op, "to", to, "fr", fr,
			      "rqi", rqi, "rvi", ESFD_M2M_RVI);

	if (o && rqet && (esfd_time_format(rqet, ts) || !put(o, "rqet", json_string(ts)))) {
		json_decref(o);
		o = NULL;
	}
	if (o && pc && !put(o, "pc", json_incref(pc))) {
		json_decref(o);
		o = NULL;
	}
	json_decref(pc);
	return o;
}

json_t *esfd_m2m_response(int rsc, const char *rqi, const char *to, const char *fr,
			  const char *rvi, json_t *pc)
{
	json_t *o = json_pack("{s:i}", "rsc", rsc);
	bool ok = o != NULL;

	if (ok && rqi)
		ok = put(o, "rqi", json_string(rqi));
	if (ok && to)
		ok = put(o, "to", json_string(to));
	if (ok && fr)
		ok = put(o, "fr", json_string(fr));
	if (ok)
		ok = put(o, "rvi", json_string(rvi ? rvi : ESFD_M2M_RVI));
	if (ok && pc)
		ok = put(o, "pc", json_incref(pc));
	json_decref(pc);
	if (!ok) {
		json_decref(o);
		return NULL;
	}
	return o;
}

json_t *esfd_m2m_debug(const char *text)
{
	return json_pack("{s:s}", "m2m:dbg", text);
}

char *esfd_m2m_dump(const json_t *j)
{
	char *s = json_dumps(j, JSON_COMPACT | JSON_PRESERVE_ORDER);

	if (s && strlen(s) > ESFD_M2M_MSG_MAX) {
		free(s);
		s = NULL;
	}
	return s;
}

bool esfd_m2m_same_level(const char *a, const char *b)
{
	while (*a == '/')
		a++;
	while (*b == '/')
		b++;
	if (!*a || !*b)
		return false;
	for (; *a && *b; a++, b++)
		if ((*a == '/' ? ':' : *a) != (*b == '/' ? ':' : *b))
			return false;
	return !*a && !*b;
}

int esfd_m2m_topic_id(const char *id, char *out, size_t outmax)
{
	size_t n, i;

	if (!esfd_m2m_id_ok(id))
		return -EINVAL;
	while (*id == '/')
		id++;
	n = strlen(id);
	if (!n || n >= outmax)
		return -EINVAL;
	for (i = 0; i <= n; i++)
		out[i] = id[i] == '/' ? ':' : id[i];
	return 0;
}

int esfd_m2m_topic(char *out, size_t outmax, bool response, const char *originator,
		   const char *receiver)
{
	char o[ESFD_ID_MAX + 1], r[ESFD_ID_MAX + 1];
	int n;

	if (esfd_m2m_topic_id(originator, o, sizeof(o)) ||
	    esfd_m2m_topic_id(receiver, r, sizeof(r)))
		return -EINVAL;
	n = snprintf(out, outmax, "/oneM2M/%s/%s/%s/json", response ? "resp" : "req", o, r);
	return n > 0 && (size_t)n < outmax ? 0 : -EINVAL;
}

/* One topic level: 1..ESFD_ID_MAX printable ASCII, no wildcard, up to '/'. */
static const char *level(const char *s, char *out)
{
	size_t n = strcspn(s, "/");

	if (!n || n > ESFD_ID_MAX || s[n] != '/' || esfd_id_check(s, n) ||
	    memchr(s, '+', n) || memchr(s, '#', n))
		return NULL;
	memcpy(out, s, n);
	out[n] = '\0';
	return s + n + 1;
}

int esfd_m2m_topic_parse(const char *topic, struct esfd_m2m_topic_parts *t)
{
	const char *s;

	memset(t, 0, sizeof(*t));
	if (!strncmp(topic, "/oneM2M/req/", 12)) {
		s = topic + 12;
	} else if (!strncmp(topic, "/oneM2M/resp/", 13)) {
		s = topic + 13;
		t->response = true;
	} else {
		return -EPROTO;
	}
	s = level(s, t->originator);
	if (s)
		s = level(s, t->receiver);
	return s && !strcmp(s, "json") ? 0 : -EPROTO;
}

int esfd_m2m_content_kind(const json_t *pc, const char *const *names, int n)
{
	int k;

	if (!json_is_object(pc) || json_object_size(pc) != 1)
		return 0;
	for (k = 1; k < n; k++)
		if (json_object_get(pc, names[k]))
			return k;
	return 0;
}

int esfd_m2m_get_b64(const json_t *o, const char *name, uint8_t *out, size_t len)
{
	const char *s = json_string_value(json_object_get(o, name));
	uint8_t buf[64];
	size_t n;
	int err = 0;

	if (!s || esfd_b64_decode(s, strlen(s), true, buf, sizeof(buf), &n) || n != len)
		err = -EPROTO;
	else
		memcpy(out, buf, len);
	/* It may be a key's ciphertext, or a key. */
	OPENSSL_cleanse(buf, sizeof(buf));
	return err;
}

int esfd_m2m_set_b64(json_t *o, const char *name, const uint8_t *p, size_t len)
{
	char s[128];

	if (esfd_b64_encode(p, len, true, s, sizeof(s)))
		return -ENOSPC;
	return json_object_set_new(o, name, json_string(s)) ? -ENOMEM : 0;
}
