/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd's establishment messages as oneM2M securityInfo (TS-0004
 * m2m:securityInfo, short name "m2m:seci") in the Content of NOTIFY
 * requests and their responses:
 *
 *   sit 3  receiverESPrimRandObject request   {"m2m:seci":{"sit":3}}
 *   sit 4  receiverESPrimRandObject response  {"m2m:seci":{"sit":4,"ero":{...}}}
 *   sit 5  ESPrim Object (request, response)  {"m2m:seci":{"sit":5,"epo":"..."}}
 *   sit 6  ESCertKE message (request, response) {"m2m:seci":{"sit":6,"eckm":"..."}}
 *
 * "ero" is esprimRandObject in the short-name form of randobj.h, "epo" the
 * JWE compact serialization, "eckm" escertkeMessage: the TLS 1.2 records
 * of one handshake flight in standard base64 (certke.h). docs/primitives.md has the whole exchange.
 */
#ifndef ESFD_PRIM_H
#define ESFD_PRIM_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "randobj.h"

/* Longest ESPrim Object (JWE compact) accepted in "epo". */
#define ESFD_PRIM_ESPRIM_MAX	8192
/* Longest ESCertKE message (decoded bytes) accepted in "eckm". */
#define ESFD_PRIM_CERTKE_MAX	16384

/**
 * enum esfd_sit - securityInfoType values (TS-0004 m2m:securityInfoType)
 * @ESFD_SIT_DAS_REQ: Dynamic Authorization request (not implemented)
 * @ESFD_SIT_DAS_RESP: Dynamic Authorization response (not implemented)
 * @ESFD_SIT_RAND_REQ: receiverESPrimRandObject request
 * @ESFD_SIT_RAND_RESP: receiverESPrimRandObject response
 * @ESFD_SIT_ESPRIM: ESPrim Object
 * @ESFD_SIT_CERTKE: ESCertKE message
 */
enum esfd_sit {
	ESFD_SIT_DAS_REQ = 1,
	ESFD_SIT_DAS_RESP = 2,
	ESFD_SIT_RAND_REQ = 3,
	ESFD_SIT_RAND_RESP = 4,
	ESFD_SIT_ESPRIM = 5,
	ESFD_SIT_CERTKE = 6,
};

/**
 * struct esfd_seci - a securityInfo
 * @sit: &enum esfd_sit
 * @rand: ESFD_SIT_RAND_RESP: the receiverESPrimRandObject ("ero")
 * @esprim: ESFD_SIT_ESPRIM: the ESPrim Object ("epo"), NUL-terminated,
 *	owned (esfd_seci_free())
 * @certke: ESFD_SIT_CERTKE: the escertkeMessage bytes ("eckm"), owned
 * @certke_len: their number, 1..ESFD_PRIM_CERTKE_MAX
 */
struct esfd_seci {
	uint8_t sit;
	struct esfd_randobj rand;
	char *esprim;
	uint8_t *certke;
	size_t certke_len;
};

/**
 * esfd_seci_content() - the Content of a primitive carrying @s
 * @s: the securityInfo: sit 3, sit 4 with @rand, sit 5 with @esprim, or
 *	sit 6 with @certke
 * @pc: set to {"m2m:seci":{...}} (json_decref() it)
 *
 * Return: 0, -EINVAL for an invalid @s, -ENOMEM.
 */
int esfd_seci_content(const struct esfd_seci *s, json_t **pc);

/**
 * esfd_seci_read() - strict reading of the securityInfo in a Content
 * @pc: the Content, or NULL when the primitive had none
 * @response: @pc is from a response (sit 4, 5 or 6) rather than a request
 *	(sit 3, 5 or 6)
 * @now: current time, seconds since the epoch (rand object expiry)
 * @max_lifetime: largest accepted rand object lifetime, seconds
 * @s: filled in on success (esfd_seci_free()); zeroed on failure
 *
 * The Content must be exactly {"m2m:seci":{...}}, the securityInfo exactly
 * the members its sit needs: no unknown, missing, duplicate or mistyped
 * member.
 *
 * Return: 0; -EPROTO malformed (or a sit that does not belong in this
 * direction); -EMSGSIZE for an "eckm" longer than ESFD_PRIM_CERTKE_MAX
 * bytes; -ENOSYS for sit 1 or 2 in a request (defined by TS-0004, not
 * implemented here); the rand object errors of
 * esfd_randobj_from_json() (-EKEYEXPIRED, -EOPNOTSUPP).
 */
int esfd_seci_read(const json_t *pc, bool response, int64_t now, int64_t max_lifetime,
		   struct esfd_seci *s);

/**
 * esfd_seci_free() - release what a securityInfo owns, and wipe it
 * @s: the securityInfo
 */
void esfd_seci_free(struct esfd_seci *s);

#endif /* ESFD_PRIM_H */
