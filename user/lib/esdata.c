// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Target data classes 2 and 3 (TR-0012 clause 6.2; ESData of TS-0003).
 *
 * Class 2: the Content parameter ("pc") of a primitive is replaced by an
 * ESF envelope element whose payload is {"pc":<original>} (and "ty" for a
 * request), and a request's Resource Type becomes the reserved
 * ESF_CLASS2_RESOURCE_TYPE, so that a hosting CSE cannot mistake the
 * envelope for a resource representation.
 *
 * Class 3: the "con" of a <contentInstance>, with its "cnf" and "or",
 * becomes a JOSE object in "con"; "cnf" says so with the ":1" (compact) or
 * ":2" (JSON) suffix. The JOSE object is a plain ESData one (no ESF
 * envelope), as other oneM2M implementations expect.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "esf_env.h"

#define CIN_KEY "m2m:cin"
#define CNF_COMPACT "application/jose:0:1"
#define CNF_JSON "application/jose+json:0:2"

static int dump_to(const json_t *v, char **out)
{
	*out = esf_json_dump(v);
	return *out ? 0 : -ENOMEM;
}

static int check_binding(const struct esf_session *s, unsigned int dc)
{
	return s->data_class && s->data_class != dc ? -ESF_E_CLASS : 0;
}

/* ---- class 2 ---- */

static int class2_payload(const json_t *prim, int request, char **out)
{
	json_t *ty = json_object_get(prim, "ty");
	json_t *inner = json_pack("{s:O}", "pc", json_object_get(prim, "pc"));
	int err = inner ? 0 : -ENOMEM;

	if (!err && request && ty && json_object_set(inner, "ty", ty))
		err = -ENOMEM;
	if (!err)
		err = dump_to(inner, out);
	json_decref(inner);
	return err;
}

static int class2_check_input(const json_t *prim, int *request)
{
	json_t *ty = json_object_get(prim, "ty");

	*request = esf_primitive_kind(prim);
	if (*request < 0)
		return *request;
	if (!json_object_get(prim, "pc"))
		return -ESF_E_FORMAT;
	if (ty && (!*request || !json_is_integer(ty) ||
		   json_integer_value(ty) == ESF_CLASS2_RESOURCE_TYPE))
		return -ESF_E_FORMAT;
	return 0;
}

int esf_class2_seal(struct esf_session *s, enum esf_jose_form form,
		    const char *prim, size_t prim_len, char **out)
{
	json_t *p, *env = NULL;
	char *payload = NULL;
	int request, err;

	if (!s || !prim || !out)
		return -EINVAL;
	err = check_binding(s, 2);
	if (!err)
		err = esf_json_parse_object(prim, prim_len, &p);
	if (err)
		return err;
	err = class2_check_input(p, &request);
	if (!err)
		err = class2_payload(p, request, &payload);
	if (!err)
		err = esf_envelope_build(s, form, 0, 2, payload, strlen(payload), &env);
	if (!err && json_object_set_new(p, "pc", env))
		err = -ENOMEM;
	if (!err && request &&
	    json_object_set_new(p, "ty", json_integer(ESF_CLASS2_RESOURCE_TYPE)))
		err = -ENOMEM;
	if (!err)
		err = dump_to(p, out);
	free(payload);
	json_decref(p);
	return err;
}

/* The sealed payload holds "pc" and, for a request, maybe "ty". */
static int class2_restore(json_t *prim, int request, const char *pt, size_t len)
{
	json_t *inner, *pc, *ty;
	int err = esf_json_parse_object(pt, len, &inner);

	if (err)
		return err == -ENOMEM ? err : -ESF_E_FORMAT;
	pc = json_object_get(inner, "pc");
	ty = json_object_get(inner, "ty");
	if (!pc || json_object_size(inner) != 1U + (ty != NULL) ||
	    (ty && (!request || !json_is_integer(ty))))
		err = -ESF_E_FORMAT;
	if (!err && json_object_set(prim, "pc", pc))
		err = -ENOMEM;
	if (!err && ty && json_object_set(prim, "ty", ty))
		err = -ENOMEM;
	if (!err && !ty && request)
		json_object_del(prim, "ty");
	json_decref(inner);
	return err;
}

static int class2_check_sealed(const json_t *prim, int *request)
{
	json_t *ty = json_object_get(prim, "ty");

	*request = esf_primitive_kind(prim);
	if (*request < 0)
		return *request;
	if (*request && (!json_is_integer(ty) ||
			 json_integer_value(ty) != ESF_CLASS2_RESOURCE_TYPE))
		return -ESF_E_FORMAT;
	if (!*request && ty)
		return -ESF_E_FORMAT;
	return 0;
}

int esf_class2_open(struct esf_session *s, const char *prim, size_t prim_len,
		    char **out)
{
	void *pt = NULL;
	size_t len;
	json_t *p;
	int request, err;

	if (!s || !prim || !out)
		return -EINVAL;
	err = check_binding(s, 2);
	if (!err)
		err = esf_json_parse_object(prim, prim_len, &p);
	if (err)
		return err;
	err = class2_check_sealed(p, &request);
	if (!err)
		err = esf_envelope_open_json(s, json_object_get(p, "pc"), 0, 2,
					     &pt, &len, NULL);
	if (!err)
		err = class2_restore(p, request, pt, len);
	if (!err)
		err = dump_to(p, out);
	free(pt);
	json_decref(p);
	return err;
}

/* ---- class 3 ---- */

/* The attribute object: the root, or the one member "m2m:cin". */
static json_t *cin_attrs(json_t *root)
{
	json_t *cin = json_object_get(root, CIN_KEY);

	if (cin && json_object_size(root) == 1)
		return json_is_object(cin) ? cin : NULL;
	return root;
}

static int class3_payload(const json_t *a, char **out)
{
	json_t *p = json_object();
	static const char *const keys[] = { "con", "cnf", "or", NULL };
	const char *const *k;
	int err = p ? 0 : -ENOMEM;

	if (!json_object_get(a, "con"))
		err = -ESF_E_FORMAT;
	for (k = keys; !err && *k; k++) {
		json_t *v = json_object_get(a, *k);

		if (v && k != keys && !json_is_string(v))
			err = -ESF_E_FORMAT;
		else if (v && json_object_set(p, *k, v))
			err = -ENOMEM;
	}
	if (!err)
		err = dump_to(p, out);
	json_decref(p);
	return err;
}

static int class3_replace(json_t *a, const char *jose, int compact)
{
	json_object_del(a, "or");
	if (json_object_set_new(a, "con", json_string(jose)) ||
	    json_object_set_new(a, "cnf", json_string(compact ? CNF_COMPACT : CNF_JSON)))
		return -ENOMEM;
	return 0;
}

/* The JOSE object of a class 3 payload: one JWE or JWS, or a JWS in a JWE. */
static int class3_protect(struct esf_session *sign, struct esf_session *s, int form,
			  const char *payload, char **jose)
{
	char *header = NULL;
	json_t *h = NULL;
	int err;

	if (sign)
		return esf_nested_seal(sign, s, form, payload, strlen(payload), jose);
	err = esf_jose_base_header(s, true, &h);
	if (!err)
		err = dump_to(h, &header);
	if (!err)
		err = esf_jose_protect(s, form, header, strlen(header), payload,
				       strlen(payload), NULL, 0, jose);
	json_decref(h);
	free(header);
	return err;
}

static int class3_seal(struct esf_session *sign, struct esf_session *s,
		       enum esf_jose_form form, const char *cin, size_t cin_len, char **out)
{
	char *payload = NULL, *jose = NULL;
	json_t *root, *a;
	int err;

	if (!s || !cin || !out || form < ESF_JOSE_COMPACT || form > ESF_JOSE_JSON_FLAT)
		return -EINVAL;
	err = check_binding(s, 3);
	if (!err && sign)
		err = check_binding(sign, 3);
	if (!err)
		err = esf_json_parse_object(cin, cin_len, &root);
	if (err)
		return err;
	a = cin_attrs(root);
	err = a ? class3_payload(a, &payload) : -ESF_E_FORMAT;
	if (!err)
		err = class3_protect(sign, s, form, payload, &jose);
	if (!err)
		err = class3_replace(a, jose, form == ESF_JOSE_COMPACT);
	if (!err)
		err = dump_to(root, out);
	json_decref(root);
	free(payload);
	free(jose);
	return err;
}

int esf_class3_seal(struct esf_session *s, enum esf_jose_form form,
		    const char *cin, size_t cin_len, char **out)
{
	return class3_seal(NULL, s, form, cin, cin_len, out);
}

int esf_class3_seal_nested(struct esf_session *sign, struct esf_session *enc,
			   enum esf_jose_form form, const char *cin, size_t cin_len,
			   char **out)
{
	if (!sign)
		return -EINVAL;
	return class3_seal(sign, enc, form, cin, cin_len, out);
}

/* ":1" compact, ":2" JSON: the last field of contentInfo. */
static int cnf_form(const json_t *a, int *compact)
{
	const char *cnf, *colon;

	if (esf_json_opt_string(a, "cnf", &cnf) || !cnf)
		return -ESF_E_FORMAT;
	colon = strrchr(cnf, ':');
	if (!colon || colon == cnf || (strcmp(colon, ":1") && strcmp(colon, ":2")))
		return -ESF_E_FORMAT;
	*compact = colon[1] == '1';
	return 0;
}

static int class3_unprotect(struct esf_session *verify, struct esf_session *s,
			    const json_t *a, void **pt, size_t *len)
{
	struct jose_parts p;
	json_t *tdc;
	const char *con;
	int compact, err;

	err = cnf_form(a, &compact);
	if (!err && (esf_json_opt_string(a, "con", &con) || !con))
		err = -ESF_E_FORMAT;
	if (!err && (con[0] == '{') == compact)
		err = -ESF_E_FORMAT;
	if (!err)
		err = esf_jose_split(con, strlen(con), &p);
	if (err)
		return err;
	err = esf_jose_check(s, &p, NULL);
	/* An ESF envelope's header names its class; class 3 ones must not
	 * name another. */
	tdc = json_object_get(p.joint, "tdc");
	if (!err && tdc && (!json_is_integer(tdc) || json_integer_value(tdc) != 3))
		err = -ESF_E_CLASS;
	/* Signed inside: the signature must be checked, with its own session. */
	if (!err && !verify && esf_jose_cty_nested(json_string_value(json_object_get(p.joint,
										    "cty"))))
		err = -ESF_E_UNSUPPORTED;
	if (!err && !verify)
		err = esf_jose_unprotect(s, &p, pt, len, &(uint64_t){ 0 });
	esf_jose_parts_free(&p);
	/* A nested object is opened whole: decrypt, then verify. */
	if (!err && verify)
		err = esf_nested_open(verify, s, con, strlen(con), pt, len, NULL);
	return err;
}

static int class3_restore(json_t *a, const char *pt, size_t len)
{
	json_t *inner, *con;
	int err = esf_json_parse_object(pt, len, &inner);
	size_t n = 1;

	if (err)
		return err == -ENOMEM ? err : -ESF_E_FORMAT;
	con = json_object_get(inner, "con");
	n += json_object_get(inner, "cnf") != NULL;
	n += json_object_get(inner, "or") != NULL;
	if (!con || json_object_size(inner) != n)
		err = -ESF_E_FORMAT;
	json_object_del(a, "cnf");
	if (!err && json_object_update(a, inner))
		err = -ENOMEM;
	json_decref(inner);
	return err;
}

static int class3_open(struct esf_session *verify, struct esf_session *s, const char *cin,
		       size_t cin_len, char **out)
{
	void *pt = NULL;
	size_t len;
	json_t *root, *a;
	int err;

	if (!s || !cin || !out)
		return -EINVAL;
	err = check_binding(s, 3);
	if (!err && verify)
		err = check_binding(verify, 3);
	if (!err)
		err = esf_json_parse_object(cin, cin_len, &root);
	if (err)
		return err;
	a = cin_attrs(root);
	err = a ? class3_unprotect(verify, s, a, &pt, &len) : -ESF_E_FORMAT;
	if (!err)
		err = class3_restore(a, pt, len);
	if (!err)
		err = dump_to(root, out);
	free(pt);
	json_decref(root);
	return err;
}

int esf_class3_open(struct esf_session *s, const char *cin, size_t cin_len, char **out)
{
	return class3_open(NULL, s, cin, cin_len, out);
}

int esf_class3_open_nested(struct esf_session *verify, struct esf_session *dec,
			   const char *cin, size_t cin_len, char **out)
{
	if (!verify)
		return -EINVAL;
	return class3_open(verify, dec, cin, cin_len, out);
}
