// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * JSON helpers over jansson, with the strictness the envelope codecs need:
 * duplicate members are an error (two parsers must never disagree on which
 * "alg" or "kid" counts), trailing data is an error, and the top level must
 * be an object.
 */
#include <errno.h>
#include <string.h>

#include "esf_env.h"

int esf_json_parse_object(const char *in, size_t len, json_t **out)
{
	json_error_t e;
	json_t *v;

	if (len > ESF_ENVELOPE_MAX)
		return -EMSGSIZE;
	v = json_loadb(in, len, JSON_REJECT_DUPLICATES, &e);
	if (!v)
		return json_error_code(&e) == json_error_out_of_memory ?
			-ENOMEM : -ESF_E_FORMAT;
	if (!json_is_object(v)) {
		json_decref(v);
		return -ESF_E_FORMAT;
	}
	*out = v;
	return 0;
}

char *esf_json_dump(const json_t *v)
{
	return json_dumps(v, JSON_COMPACT);
}

/* Absent: *out = NULL and 0. Present but not a string: -ESF_E_FORMAT. */
int esf_json_opt_string(const json_t *obj, const char *key, const char **out)
{
	json_t *v = json_object_get(obj, key);

	*out = NULL;
	if (!v)
		return 0;
	if (!json_is_string(v))
		return -ESF_E_FORMAT;
	*out = json_string_value(v);
	return 0;
}
