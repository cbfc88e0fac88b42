/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Group keys on the wire (docs/esfd.md, "Groups"): what a group's server
 * sends each member, wrapped end to end under a key only that member and
 * the server can derive, so that the gateway (the broker) in between
 * forwards it without reading it.
 *
 *   pull (member -> server)  NOTIFY pc {"esf:gkp":{"grp":G,"nnc":N,"have":E}}
 *   answer                   2000 pc {"esf:gky":JWE}, the JWE bound to N
 *   push (server -> member)  NOTIFY pc {"esf:gky":JWE}, answered 2000
 *
 * The JWE is esfd's dir/A256GCM (jwe.h) with cty ESFD_GKEY_CTY, its
 * protected header naming the group, the epoch and, for a pull's answer,
 * the member's nonce; the plaintext is the key and what the member's
 * kernel session is made with. Part of esfd's core: host-tested.
 */
#ifndef ESFD_GKEY_H
#define ESFD_GKEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "enc.h"

#define ESFD_GKEY_CTY		"application/vnd.esfd.group-key+json"
/* The member's nonce: 16 random bytes, in base64url (22 characters). */
#define ESFD_GKEY_NONCE_LEN	16
#define ESFD_GKEY_NONCE_B64	22
/* Longest group key JWE accepted. */
#define ESFD_GKEY_JWE_MAX	4096
/* The nonce salt of a key epoch (ESF_SALT_LEN). */
#define ESFD_GKEY_SALT_LEN	4

/**
 * struct esfd_gkey - one epoch of a group's key, for one member
 * @grp: the group id
 * @epoch: its number (above every earlier epoch's)
 * @sender: the member's sender id
 * @senders: the group's size
 * @alg: the kernel algorithm (gcm(aes), ccm(aes),
 *	authenc(hmac(sha256),cbc(aes)))
 * @tag_len: tag length, bytes
 * @key: the key (authenc: the 32-byte HMAC key, then the AES key)
 * @key_len: its length
 * @salt: the epoch's nonce salt
 * @switch_at: when members switch to sealing under it (seconds since the
 *	epoch; a past time: at once)
 * @block_first: to a mediator only: the first sender id of the block the
 *	server delegated to it ("block" in the plaintext; docs/esfd.md,
 *	"Mediator gateways")
 * @block_last: the last; 0: no block (the member seals as @sender)
 */
struct esfd_gkey {
	char grp[ESFD_ID_MAX + 1];
	uint32_t epoch;
	uint16_t sender;
	uint16_t senders;
	char alg[40];
	uint8_t tag_len;
	uint8_t key[64];
	size_t key_len;
	uint8_t salt[ESFD_GKEY_SALT_LEN];
	int64_t switch_at;
	uint16_t block_first;
	uint16_t block_last;
};

/**
 * esfd_gkey_mkek() - the key a mediator wraps a core-side key under for
 *	one device of its area network (docs/esfd.md, "Mediator gateways")
 * @lkey: the local group's key, one epoch of it (its authenc or AES bytes)
 * @lkey_len: its length
 * @local: the local group's id
 * @grp: the core-side group's id
 * @device: the device's id
 * @kek: KW = HMAC-SHA256(@lkey, "esfd mediated key wrapping" || 0x00 ||
 *	@local), then HMAC-SHA256(KW, @grp || 0x00 || @device)
 *
 * Return: 0, -EINVAL for an ill-formed id, or an HMAC error.
 */
int esfd_gkey_mkek(const uint8_t *lkey, size_t lkey_len, const char *local, const char *grp,
		   const char *device, uint8_t kek[32]);

/**
 * esfd_gkey_mkek_kw() - the first step of esfd_gkey_mkek(), which a
 *	device keeps per local epoch instead of the local key itself
 * @lkey: the local group's key
 * @lkey_len: its length
 * @local: the local group's id
 * @kw: HMAC-SHA256(@lkey, "esfd mediated key wrapping" || 0x00 || @local)
 *
 * Return: 0, -EINVAL, or an HMAC error.
 */
int esfd_gkey_mkek_kw(const uint8_t *lkey, size_t lkey_len, const char *local, uint8_t kw[32]);

/**
 * esfd_gkey_mkek_dev() - the second step: one device's wrapping key
 * @kw: esfd_gkey_mkek_kw()
 * @grp: the core-side group's id
 * @device: the device's id
 * @kek: HMAC-SHA256(@kw, @grp || 0x00 || @device)
 *
 * Return: 0, -EINVAL, or an HMAC error.
 */
int esfd_gkey_mkek_dev(const uint8_t kw[32], const char *grp, const char *device,
		       uint8_t kek[32]);

/**
 * esfd_gkey_kek() - the key a member's group keys are wrapped under
 * @k14: the member's end-to-end key: the TS-0003 usage-constrained key of
 *	its Kpsa for SUID 14 (pre-provisioned ESData encryption)
 * @grp: the group id
 * @kek: HMAC-SHA256(@k14, "esfd group key wrapping" || 0x00 || @grp)
 *
 * Return: 0, -EINVAL for a group id esfd_id_check() refuses, or an HMAC
 * error.
 */
int esfd_gkey_kek(const uint8_t k14[32], const char *grp, uint8_t kek[32]);

/**
 * esfd_gkey_wrap() - a member's key as a JWE
 * @kek: esfd_gkey_kek() of the member
 * @k: the key
 * @nnc: the nonce of the member's pull (base64url), or NULL for a push
 * @out: the compact JWE (free() it)
 *
 * Return: 0, -EINVAL (a key length or algorithm the kernel would refuse),
 * -ENOMEM, -EIO.
 */
int esfd_gkey_wrap(const uint8_t kek[32], const struct esfd_gkey *k, const char *nnc,
		   char **out);

/**
 * esfd_gkey_unwrap() - open a wrapped key and check what it is bound to
 * @kek: esfd_gkey_kek() of this member
 * @jwe: the JWE
 * @grp: the group it must be for
 * @nnc: the nonce of our pull, or NULL when it must be a push (no nonce)
 * @min_epoch: the lowest epoch accepted
 * @k: filled in on success; wiped on failure
 *
 * Return: 0; -EPROTO malformed; -EOPNOTSUPP not esfd's alg/enc/cty;
 * -EBADMSG does not open under @kek (another member's, tampered);
 * -EKEYREJECTED for another group, another nonce (or a nonce in a push,
 * none in an answer), or a header that disagrees with the sealed content;
 * -ESTALE for an epoch below @min_epoch.
 */
int esfd_gkey_unwrap(const uint8_t kek[32], const char *jwe, const char *grp, const char *nnc,
		     uint32_t min_epoch, struct esfd_gkey *k);

/**
 * esfd_gkey_wipe() - erase a key
 * @k: the key
 */
void esfd_gkey_wipe(struct esfd_gkey *k);

/**
 * esfd_gkp_content() - the Content of a pull
 * @grp: the group id
 * @nnc: a fresh nonce, base64url
 * @have: the epoch held, 0 for none
 *
 * Return: the object, or NULL without memory.
 */
json_t *esfd_gkp_content(const char *grp, const char *nnc, uint32_t have);

/**
 * esfd_gky_content() - the Content of an answer to a pull, or of a push
 * @jwe: the wrapped key
 *
 * Return: the object, or NULL without memory.
 */
json_t *esfd_gky_content(const char *jwe);

/**
 * enum esfd_gmsg - what a Content carries, as far as groups go
 * @ESFD_GMSG_NONE: not a group message (a securityInfo, or anything else)
 * @ESFD_GMSG_PULL: "esf:gkp"
 * @ESFD_GMSG_KEY: "esf:gky"
 */
enum esfd_gmsg { ESFD_GMSG_NONE, ESFD_GMSG_PULL, ESFD_GMSG_KEY };

/**
 * esfd_gmsg_kind() - is this Content a group message?
 * @pc: the Content, or NULL
 *
 * Return: the kind: an object whose only member is "esf:gkp" or "esf:gky".
 */
enum esfd_gmsg esfd_gmsg_kind(const json_t *pc);

/**
 * esfd_gkp_read() - strict reading of a pull
 * @pc: the Content
 * @grp: set to the group id (points into @pc)
 * @nnc: set to the nonce (points into @pc)
 * @have: set to the epoch held
 *
 * Exactly "grp" (an id), "nnc" (base64url of ESFD_GKEY_NONCE_LEN bytes) and
 * "have" (0 .. 2^32 - 1).
 *
 * Return: 0 or -EPROTO.
 */
int esfd_gkp_read(const json_t *pc, const char **grp, const char **nnc, uint32_t *have);

/**
 * esfd_gky_read() - strict reading of a wrapped key's Content
 * @pc: the Content
 * @jwe: set to the JWE (points into @pc)
 *
 * Return: 0 or -EPROTO (not a string of 1..ESFD_GKEY_JWE_MAX characters).
 */
int esfd_gky_read(const json_t *pc, const char **jwe);

/**
 * esfd_gkey_nonce() - a fresh pull nonce
 * @out: ESFD_GKEY_NONCE_B64 + 1 bytes, NUL-terminated base64url
 *
 * Return: 0 or -EIO.
 */
int esfd_gkey_nonce(char out[ESFD_GKEY_NONCE_B64 + 1]);

#endif /* ESFD_GKEY_H */
