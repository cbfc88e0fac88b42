/* SPDX-License-Identifier: GPL-2.0 */
/*
 * oneM2M request and response primitives in their JSON serialization
 * (TS-0004 clause 8, short names, the bare objects of the MQTT binding)
 * and the topics of the MQTT binding (TS-0010); part of esfd's core, which
 * esf-mqtt links too. Everything here parses bytes from a broker, which anyone with
 * access to it may publish: sizes are bounded, JSON is parsed strictly, and
 * a malformed request maps to the response status code to answer it with.
 * The encoding of every field is written down in docs/primitives.md.
 */
#ifndef ESFD_M2M_H
#define ESFD_M2M_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "enc.h"

/* Largest primitive accepted from the broker or sent, bytes. */
#define ESFD_M2M_MSG_MAX		65536
/* Request Identifier. */
#define ESFD_M2M_RQI_MAX		128
/* "/oneM2M/resp/" + two topic levels + "/json" */
#define ESFD_M2M_TOPIC_MAX	(13 + 2 * ESFD_ID_MAX + 2 + 5)
/* The Release Version Indicator esfd and esf-mqtt send. */
#define ESFD_M2M_RVI		"3"

/* Response Status Codes used here (TS-0004 6.6). */
enum esfd_m2m_rsc {
	ESFD_RSC_OK = 2000,
	ESFD_RSC_CREATED = 2001,
	ESFD_RSC_BAD_REQUEST = 4000,
	ESFD_RSC_RELEASE_VERSION_NOT_SUPPORTED = 4001,
	ESFD_RSC_NOT_FOUND = 4004,
	ESFD_RSC_OPERATION_NOT_ALLOWED = 4005,
	ESFD_RSC_REQUEST_TIMEOUT = 4008,
	ESFD_RSC_ORIGINATOR_HAS_NO_PRIVILEGE = 4103,
	ESFD_RSC_CONFLICT = 4105,
	ESFD_RSC_INTERNAL_SERVER_ERROR = 5000,
	ESFD_RSC_NOT_IMPLEMENTED = 5001,
};

/* Operation parameter values. */
enum esfd_m2m_op {
	ESFD_M2M_CREATE = 1,
	ESFD_M2M_RETRIEVE = 2,
	ESFD_M2M_UPDATE = 3,
	ESFD_M2M_DELETE = 4,
	ESFD_M2M_NOTIFY = 5,
};

/**
 * struct esfd_m2m_req - a request primitive (members point into its JSON)
 * @op: Operation, 1..5
 * @to: To
 * @fr: From
 * @rqi: Request Identifier
 * @rvi: Release Version Indicator
 * @rqet: Request Expiration Timestamp, seconds since the epoch; 0 if absent
 * @pc: Content, or NULL
 * @ty: Resource Type, or -1
 */
struct esfd_m2m_req {
	int op;
	const char *to;
	const char *fr;
	const char *rqi;
	const char *rvi;
	int64_t rqet;
	json_t *pc;
	long ty;
};

/**
 * struct esfd_m2m_rsp - a response primitive (members point into its JSON)
 * @rsc: Response Status Code, 1000..6999
 * @rqi: Request Identifier, or NULL when the request could not be read
 * @to: To (the request's originator), or NULL
 * @fr: From (the responder), or NULL
 * @pc: Content, or NULL
 * @bytes: the primitive's length on the wire (set by the transport)
 */
struct esfd_m2m_rsp {
	int rsc;
	const char *rqi;
	const char *to;
	const char *fr;
	json_t *pc;
	size_t bytes;
};

/**
 * esfd_m2m_parse() - strict JSON of one primitive
 * @buf: the bytes (need not be NUL-terminated)
 * @len: how many, at most ESFD_M2M_MSG_MAX
 * @out: set to the object (json_decref() it)
 *
 * Duplicate member names, trailing data, a top level other than an object,
 * invalid UTF-8 and "\u0000" are refused.
 *
 * Return: 0, -EMSGSIZE, -EPROTO.
 */
int esfd_m2m_parse(const void *buf, size_t len, json_t **out);

/**
 * esfd_m2m_req_read() - check and read a request primitive
 * @j: the parsed object
 * @r: filled in (pointers into @j); on failure the members that were
 *	valid are still filled in, so that the refusal can carry the rqi
 * @why: set to a static explanation on failure
 *
 * Required: op (integer 1..5), to, fr, rqi (strings), rvi ("2a", "3", "4"
 * or "5"). Optional: pc (object), ot, rqet (strings), ty (integer 0..65535).
 * The request parameters TS-0004 defines and esf does not implement (rset,
 * oet, rt, rp, rcn, ec, da, gid, fc, drt, tids, ltids, tqi, nid, sqi, rtu,
 * vsi) get NOT_IMPLEMENTED, as TS-0004 7.3.2.1 prescribes; anything else
 * is a BAD_REQUEST.
 *
 * Return: 0, or the response status code to refuse the request with
 * (4000, 4001, 5001).
 */
int esfd_m2m_req_read(json_t *j, struct esfd_m2m_req *r, const char **why);

/**
 * esfd_m2m_rsp_read() - check and read a response primitive
 * @j: the parsed object
 * @r: filled in (pointers into @j)
 *
 * Required: rsc (integer 1000..6999); rqi (string) unless rsc is 4000.
 * Optional: to, fr, rvi, ot (strings), pc (any JSON value). Nothing else.
 *
 * Return: 0 or -EPROTO.
 */
int esfd_m2m_rsp_read(json_t *j, struct esfd_m2m_rsp *r);

/**
 * esfd_m2m_request() - a request primitive
 * @op: Operation
 * @to: To
 * @fr: From
 * @rqi: Request Identifier
 * @rqet: Request Expiration Timestamp (seconds since the epoch), 0: none
 * @pc: Content (consumed), or NULL
 *
 * Members in the order op, to, fr, rqi, rvi, rqet, pc; rvi is ESFD_M2M_RVI.
 *
 * Return: the object (json_decref() it), or NULL when out of memory.
 */
json_t *esfd_m2m_request(int op, const char *to, const char *fr, const char *rqi,
			int64_t rqet, json_t *pc);

/**
 * esfd_m2m_response() - the response primitive to a request
 * @rsc: Response Status Code
 * @rqi: the request's Request Identifier, or NULL when it is not known
 * @to: the request's From (the response goes back to it), or NULL
 * @fr: the responder's id
 * @rvi: the request's Release Version Indicator, or NULL for ESFD_M2M_RVI
 * @pc: Content (consumed), or NULL
 *
 * Return: the object (json_decref() it), or NULL when out of memory.
 */
json_t *esfd_m2m_response(int rsc, const char *rqi, const char *to, const char *fr,
			 const char *rvi, json_t *pc);

/**
 * esfd_m2m_debug() - Content of an error response: {"m2m:dbg": text}
 * @text: a human-readable reason
 *
 * Return: the object, or NULL when out of memory.
 */
json_t *esfd_m2m_debug(const char *text);

/**
 * esfd_m2m_dump() - compact text of a primitive, members in their order
 * @j: the primitive
 *
 * Return: a malloc()ed string, or NULL (out of memory, or longer than
 * ESFD_M2M_MSG_MAX).
 */
char *esfd_m2m_dump(const json_t *j);

/**
 * esfd_m2m_id_ok() - is this a oneM2M id esf accepts in primitives and topics?
 * @id: the id
 *
 * An identifier esfd_id_check() accepts (1..ESFD_ID_MAX printable ASCII
 * characters without spaces) holding none of
 * '+', '#' (MQTT wildcards) and ':' (TS-0010 writes '/' as ':' in topics,
 * so an id holding ':' would read back as another id).
 *
 * Return: true or false.
 */
bool esfd_m2m_id_ok(const char *id);

/**
 * esfd_m2m_same_level() - do two ids name the same topic level?
 * @a: an id, or a topic level
 * @b: another
 *
 * As esfd_m2m_topic_id() of both, compared, but in place: leading '/'
 * skipped, every other '/' read as ':'. It runs for every peer on every
 * primitive and for every pair of peers at start, and most ids differ in
 * their first characters. The ids' validity is the caller's to check.
 *
 * Return: true when they name the same, non-empty level.
 */
bool esfd_m2m_same_level(const char *a, const char *b);

/**
 * esfd_m2m_topic_id() - an id as a topic level (TS-0010)
 * @id: a oneM2M id (esfd_m2m_id_ok())
 * @out: receives the level
 * @outmax: its size, ESFD_ID_MAX + 1 suffice
 *
 * The leading '/' characters are left out and every other '/' becomes
 * ':': "/in-cse" is "in-cse", "//sp.example/in-cse" is "sp.example:in-cse",
 * "Cdevice-07" stays as it is.
 *
 * Return: 0, -EINVAL for an id esfd_m2m_id_ok() refuses or one that is only
 * slashes.
 */
int esfd_m2m_topic_id(const char *id, char *out, size_t outmax);

/**
 * esfd_m2m_topic() - a request or response topic of the MQTT binding
 * @out: receives "/oneM2M/req/<originator>/<receiver>/json" or
 *	"/oneM2M/resp/<originator>/<receiver>/json"
 * @outmax: its size, ESFD_M2M_TOPIC_MAX + 1 suffice
 * @response: resp instead of req
 * @originator: the id of the request's originator (for a response too)
 * @receiver: the id of the request's receiver
 *
 * Return: 0 or -EINVAL.
 */
int esfd_m2m_topic(char *out, size_t outmax, bool response, const char *originator,
		  const char *receiver);

/**
 * struct esfd_m2m_topic_parts - a topic read back
 * @response: it is a /oneM2M/resp/ topic
 * @originator: the originator level, as in the topic
 * @receiver: the receiver level, as in the topic
 */
struct esfd_m2m_topic_parts {
	bool response;
	char originator[ESFD_ID_MAX + 1];
	char receiver[ESFD_ID_MAX + 1];
};

/**
 * esfd_m2m_topic_parse() - read a request or response topic
 * @topic: the topic
 * @t: filled in
 *
 * Only "/oneM2M/req|resp/<o>/<r>/json" with two non-empty levels of
 * printable ASCII is accepted.
 *
 * Return: 0, -EPROTO.
 */
int esfd_m2m_topic_parse(const char *topic, struct esfd_m2m_topic_parts *t);

/**
 * esfd_m2m_content_kind() - which of esfd's own Contents is this?
 * @pc: the Content, or NULL
 * @names: the member names of the kinds, by kind; [0] unused
 * @n: how many kinds, with the unused [0]
 *
 * Return: the kind: an object whose only member is one of @names; else 0.
 */
int esfd_m2m_content_kind(const json_t *pc, const char *const *names, int n);

/**
 * esfd_m2m_get_b64() - a base64url (unpadded) member of exactly @len bytes
 * @o: the object
 * @name: the member
 * @out: receives the bytes
 * @len: their number, at most 64
 *
 * Return: 0, or -EPROTO (missing, not a string, not base64url, another length).
 */
int esfd_m2m_get_b64(const json_t *o, const char *name, uint8_t *out, size_t len);

/**
 * esfd_m2m_set_b64() - set a member to the base64url (unpadded) of @len bytes
 * @o: the object
 * @name: the member
 * @p: the bytes
 * @len: their number, at most 64
 *
 * Return: 0, -ENOSPC, -ENOMEM.
 */
int esfd_m2m_set_b64(json_t *o, const char *name, const uint8_t *p, size_t len);

#endif /* ESFD_M2M_H */
