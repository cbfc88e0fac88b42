/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: the messages of the trusted third party, the facilitator
 * (docs/esfd.md, "Trusted third party (facilitator)"): a key registered by
 * its owner, retrieved by a reader the facilitator's access-control list
 * allows. Pure functions: no daemon state, so the unit tests and the fuzzer
 * reach them.
 */
#ifndef ESFD_FACMSG_H
#define ESFD_FACMSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "enc.h"

#define ESFD_FAC_KEY_LEN	32	/* the registered key */
#define ESFD_FAC_KID_LEN	16	/* its id, bytes ... */
#define ESFD_FAC_KID_B64	22	/* ... in base64url, on the wire */
#define ESFD_FAC_NONCE_LEN	16
#define ESFD_FAC_IV_LEN		12
#define ESFD_FAC_TAG_LEN	16
/* The longest lifetime a registration may ask for, and an expiry's bound. */
#define ESFD_FAC_LFT_MAX	(366 * 86400)
#define ESFD_FAC_EXP_MAX	((int64_t)1 << 40)

/**
 * enum esfd_fac_kind - the four messages, by their Content member name
 * @ESFD_FAC_NONE: not one of them
 * @ESFD_FAC_REG_REQ: "esf:fkr", owner to facilitator: keep this key for a reader
 * @ESFD_FAC_REG_ANS: "esf:fka", the facilitator's answer: kept until exp
 * @ESFD_FAC_GET_REQ: "esf:fkq", reader to facilitator: the key of this owner
 * @ESFD_FAC_GET_ANS: "esf:fkg", the facilitator's answer: the key, for the
 *	reader only
 */
enum esfd_fac_kind {
	ESFD_FAC_NONE,
	ESFD_FAC_REG_REQ,
	ESFD_FAC_REG_ANS,
	ESFD_FAC_GET_REQ,
	ESFD_FAC_GET_ANS,
	ESFD_FAC__N
};

/**
 * struct esfd_facmsg - one message, decoded (@who points into the JSON or
 *	the caller's memory)
 * @kind: which
 * @who: REG_REQ, REG_ANS: the reader's id ("rdr"); GET_REQ, GET_ANS: the
 *	owner's id ("own")
 * @kid: the key's id, base64url of %ESFD_FAC_KID_LEN bytes; empty in a
 *	GET_REQ that asks for the owner's newest key ("kid" left out)
 * @lft: REG_REQ: the lifetime asked for, seconds, 0 for the facilitator's
 *	longest
 * @exp: REG_ANS, GET_ANS: when the facilitator drops the key (seconds
 *	since the epoch)
 * @nnc: REG_REQ, GET_REQ: the requester's fresh nonce
 * @iv: the AES-256-GCM IV
 * @key: REG_REQ, GET_ANS: the key (after esfd_fac_seal() and before
 *	esfd_fac_open(), its ciphertext)
 * @tag: the AES-256-GCM tag
 */
struct esfd_facmsg {
	enum esfd_fac_kind kind;
	const char *who;
	char kid[ESFD_FAC_KID_B64 + 1];
	int64_t lft;
	int64_t exp;
	uint8_t nnc[ESFD_FAC_NONCE_LEN];
	uint8_t iv[ESFD_FAC_IV_LEN];
	uint8_t key[ESFD_FAC_KEY_LEN];
	uint8_t tag[ESFD_FAC_TAG_LEN];
};

/**
 * esfd_fac_kind_of() - is this Content one of the four messages?
 * @pc: the Content (a request's or a response's), or NULL
 *
 * Return: its kind: an object whose only member is one of the four names.
 */
enum esfd_fac_kind esfd_fac_kind_of(const json_t *pc);

/**
 * esfd_fac_name() - a kind's Content member name
 * @k: the kind
 *
 * Return: "esf:fkr" ..., or "?".
 */
const char *esfd_fac_name(enum esfd_fac_kind k);

/**
 * esfd_fac_has_key() - does the kind carry a key (REG_REQ, GET_ANS)?
 * @k: the kind
 */
bool esfd_fac_has_key(enum esfd_fac_kind k);

/**
 * esfd_fac_read() - strict reading of a message
 * @pc: the Content
 * @want: the kind expected
 * @m: filled in (the key still encrypted)
 *
 * Exactly the members the kind has (a GET_REQ's "kid" may be left out),
 * the byte strings base64url without padding of their exact length, the
 * id a well-formed id, the numbers integers in range.
 *
 * Return: 0, or -EPROTO.
 */
int esfd_fac_read(const json_t *pc, enum esfd_fac_kind want, struct esfd_facmsg *m);

/**
 * esfd_fac_build() - a message's Content
 * @m: the message, sealed by esfd_fac_seal()
 *
 * Return: the Content ({"esf:...": {...}}), or NULL without memory.
 */
json_t *esfd_fac_build(const struct esfd_facmsg *m);

/**
 * esfd_fac_aad() - the additional authenticated data of a message
 * @m: the message
 * @from: the sender's id (the primitive's "fr")
 * @to: the receiver's id (the request's "to"; an answer's requester)
 * @rqi: the request identifier (an answer: of the request it answers)
 * @nnc: an answer: the nonce of the request it answers; else NULL (the
 *	message's own @m->nnc is used)
 * @out: the AAD
 * @max: room in @out
 * @len: its length
 *
 * The kind's name, @from, @to, @rqi, @who, @kid, the decimal number (lft
 * in REG_REQ, exp in the answers, "" in GET_REQ) and the nonce in
 * base64url, each followed by one zero byte.
 *
 * Return: 0, or -ENOSPC.
 */
int esfd_fac_aad(const struct esfd_facmsg *m, const char *from, const char *to,
		 const char *rqi, const uint8_t *nnc, uint8_t *out, size_t max, size_t *len);

/**
 * esfd_fac_seal() - encrypt a message's key and compute its tag
 * @lk: the link key (esfd_fac_link_key())
 * @m: the message; @m->iv must be set (12 fresh random bytes)
 * @from, @to, @rqi, @nnc: as for esfd_fac_aad()
 *
 * AES-256-GCM under @lk with @m->iv over the AAD; the plaintext is @m->key
 * for REG_REQ and GET_ANS (replaced by its ciphertext), empty otherwise.
 *
 * Return: 0 or a negative errno.
 */
int esfd_fac_seal(const uint8_t lk[32], struct esfd_facmsg *m, const char *from,
		  const char *to, const char *rqi, const uint8_t *nnc);

/**
 * esfd_fac_open() - check a message's tag and decrypt its key
 * @lk, @m, @from, @to, @rqi, @nnc: as for esfd_fac_seal()
 *
 * Return: 0; -EBADMSG when the tag does not verify (the key is wiped).
 */
int esfd_fac_open(const uint8_t lk[32], struct esfd_facmsg *m, const char *from,
		  const char *to, const char *rqi, const uint8_t *nnc);

/**
 * esfd_fac_link_key() - the key of the messages between the facilitator
 *	and one of its clients
 * @k14: the SUID 14 usage-constrained key of the Kpsa the two share
 * @client: the client's id
 * @out: HMAC-SHA-256(@k14, "esfd facilitator" || 0x00 || @client)
 *
 * Return: 0 or a negative errno.
 */
int esfd_fac_link_key(const uint8_t k14[32], const char *client, uint8_t out[32]);

/**
 * struct esfd_fac_key - a key the facilitator holds
 * @own: its owner's id (who registered it)
 * @rdr: the reader's id (who may retrieve it, if the ACL still says so)
 * @kid: its id, base64url
 * @key: the key; never logged
 * @registered: when it was registered (seconds since the epoch)
 * @expires: when it is dropped
 */
struct esfd_fac_key {
	char own[ESFD_ID_MAX + 1];
	char rdr[ESFD_ID_MAX + 1];
	char kid[ESFD_FAC_KID_B64 + 1];
	uint8_t key[ESFD_FAC_KEY_LEN];
	int64_t registered;
	int64_t expires;
};

/* Lines of the store, and so its size, are bounded. */
#define ESFD_FAC_STORE_LINE	(2 * (ESFD_ID_MAX + 1) + 160)

/**
 * esfd_fac_store_load() - read the facilitator's store
 * @path: the file
 * @now: the time: keys expired by then are left out
 * @keys: receives them
 * @max: room in @keys
 * @n: how many were read
 * @why: set on failure, never quoting a key
 * @whylen: room in @why
 *
 * The file must be regular, owned by root or the effective user, with no
 * access for group or others; its first line "esfd-facilitator-store 1",
 * then one key a line: owner, reader, key id, registered, expires and the
 * key in hex, separated by one space. A missing file is an empty store.
 *
 * Return: 0; -EACCES (owner, mode), -EINVAL (content), -EFBIG (more than
 * @max keys), or the errno of open(2) or read(2).
 */
int esfd_fac_store_load(const char *path, int64_t now, struct esfd_fac_key *keys,
			size_t max, size_t *n, char *why, size_t whylen);

/**
 * esfd_fac_store_save() - write the facilitator's store
 * @path: the file, replaced whole (written to @path.tmp, mode 0600, synced,
 *	renamed over it)
 * @keys: the keys
 * @n: how many
 *
 * Return: 0 or a negative errno.
 */
int esfd_fac_store_save(const char *path, const struct esfd_fac_key *keys, size_t n);

#endif /* ESFD_FACMSG_H */
