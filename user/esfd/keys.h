/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: the keys an establishment makes, and the ESPrim Objects with which
 * the two ends confirm them (docs/esfd.md, "Establishment"): the
 * sessionESPrimKey of two rand objects, the keys of the kernel sessions of
 * a pair for each target data class, and a key-confirmation JWE that only
 * the holder of the same Kpsa can make or open.
 */
#ifndef ESFD_KEYS_H
#define ESFD_KEYS_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "esfd.h"
#include "jwe.h"

/* The "cty" of esfd's key-confirmation ESPrim Objects. */
#define ESFD_CONFIRM_CTY "application/vnd.esfd.establish+json"

/**
 * esfd_esprim_prot() - esprimProtocolAndAlgID of a key size
 * @key_bits: 128, 192 or 256
 *
 * Return: 10, 11 or 12 (JWE compact with A128GCM, A192GCM, A256GCM).
 */
int esfd_esprim_prot(unsigned int key_bits);

/**
 * esfd_session_key() - sessionESPrimKey of a peer's Kpsa and two rand objects
 * @d: the daemon (configuration, clock)
 * @peer: the peer
 * @r: the receiver rand object
 * @o: the originator rand object
 * @skey: the key
 *
 * pairwiseESPrimKey is the SUID 13 usage-constrained key of the Kpsa.
 *
 * Return: 0, -EKEYEXPIRED for an expired rand object, or a derivation error.
 */
int esfd_session_key(struct esfd *d, const struct esfd_peer *peer,
		     const struct esfd_randobj *r, const struct esfd_randobj *o,
		     uint8_t skey[ESFD_KEY_LEN]);

/**
 * esfd_pair_keys() - what the kernel sessions of a pair are made of
 * @d: the daemon
 * @peer: the peer (its policy)
 * @cls: target data class 1..3
 * @skey: sessionESPrimKey
 * @r: the receiver rand object
 * @o: the originator rand object
 * @k: filled in; the caller wipes it
 *
 * Return: 0 or a derivation error.
 */
int esfd_pair_keys(struct esfd *d, const struct esfd_peer *peer, uint8_t cls,
		   const uint8_t skey[ESFD_KEY_LEN], const struct esfd_randobj *r,
		   const struct esfd_randobj *o, struct esfd_pair_keys *k);

/**
 * esfd_pair_keys_of() - a class 2 or 3 pair's keys from TR-0012 7.4.1's
 *	end-to-end keys, under a policy
 * @pol: the policy (algorithm, AES key size, tag length)
 * @kp: the end-to-end keys (esfd_kdf_e2e_keys()); wiped here
 * @k: filled in: the AES key from the confidentiality key (for authenc
 *	after the 32-byte authentication key), the salt base from the
 *	confidentiality key
 *
 * ESPrim establishment, static group authentication and peer-to-peer
 * agreement all key their pairs this way.
 */
void esfd_pair_keys_of(const struct esfd_policy *pol, struct esfd_key_pair *kp,
		       struct esfd_pair_keys *k);

/**
 * esfd_confirm_key() - the key of the establishment's ESPrim Objects
 * @skey: sessionESPrimKey
 * @from_originator: the originator's direction (else the receiver's)
 * @kc: the key
 *
 * Return: 0 or an HMAC error.
 */
int esfd_confirm_key(const uint8_t skey[ESFD_KEY_LEN], bool from_originator,
		     uint8_t kc[32]);

/**
 * esfd_confirm_seal() - a key-confirmation ESPrim Object
 * @kc: esfd_confirm_key() of the sender's direction
 * @kid: pairwiseESPrimKeyID
 * @ori: the originator rand object's id
 * @rri: the receiver rand object's id
 * @oro: the originator rand object to carry in band, or NULL
 * @pk: the pair the sender installs (its algorithm and tag length)
 * @cls: the target data class
 * @out: set to the JWE compact serialization (free() it)
 *
 * Return: 0, -ENOMEM, -EIO.
 */
int esfd_confirm_seal(const uint8_t kc[32], const char *kid, const char *ori,
		      const char *rri, const struct esfd_randobj *oro,
		      const struct esfd_pair_keys *pk, uint8_t cls, char **out);

/**
 * struct esfd_confirm - a key-confirmation ESPrim Object, parsed
 * @j: the JWE; its protected header @j.hdr is not authenticated until
 *	esfd_confirm_open()
 * @body: its plaintext, after esfd_confirm_open()
 */
struct esfd_confirm {
	struct esfd_jwe j;
	json_t *body;
};

/**
 * esfd_confirm_parse() - split and check the header of a confirmation
 * @jwe: the JWE compact serialization
 * @p: filled in; json_decref() @p->j.hdr and @p->body when done, also
 *	after a failure
 *
 * "kid", "ori" and "rri" are the caller's to check (esfd_confirm_hdr()).
 *
 * Return: 0, -EPROTO (not a JWE compact serialization with a JSON
 * header), -EOPNOTSUPP (not esfd's "alg" dir, "enc" A256GCM and "cty").
 */
int esfd_confirm_parse(const char *jwe, struct esfd_confirm *p);

/**
 * esfd_confirm_hdr() - a string member of the header
 * @p: a parsed confirmation
 * @k: the member
 *
 * Return: its value, or "" when it is missing or not a string.
 */
const char *esfd_confirm_hdr(const struct esfd_confirm *p, const char *k);

/**
 * esfd_confirm_open() - check the tag and read the data class
 * @p: a parsed confirmation
 * @kc: esfd_confirm_key() of the sender's direction
 * @cls: set to the data class inside
 *
 * Return: 0, -EBADMSG (not sealed with @kc), -EPROTO (malformed inside).
 */
int esfd_confirm_open(struct esfd_confirm *p, const uint8_t kc[32], uint8_t *cls);

/**
 * esfd_confirm_same_pair() - does the sender's pair match ours?
 * @p: an opened confirmation
 * @pk: our pair
 *
 * Return: true when the algorithm and the tag length agree.
 */
bool esfd_confirm_same_pair(const struct esfd_confirm *p, const struct esfd_pair_keys *pk);

/**
 * esfd_peer_k14() - a peer's end-to-end key
 * @d: the daemon
 * @peer: the peer
 * @k14: the SUID 14 usage-constrained key of the peer's Kpsa (target id:
 *	esfd_config_uc_target()); wipe it after use
 *
 * Return: 0, -ENOKEY (a certificate peer without an ESCertKE key), or a
 * derivation error.
 */
int esfd_peer_k14(struct esfd *d, const struct esfd_peer *peer, uint8_t k14[32]);

/**
 * esfd_group_kek() - the key a member's group keys are wrapped under
 * @d: the daemon
 * @peer: the member (at the server) or the server (at a member)
 * @grp: the group id
 * @kek: esfd_gkey_kek() of the SUID 14 usage-constrained key of the
 *	peer's Kpsa (target id: esfd_config_uc_target())
 *
 * Return: 0, -ENOKEY (a certificate peer without an ESCertKE key), or a
 * derivation error.
 */
int esfd_group_kek(struct esfd *d, const struct esfd_peer *peer, const char *grp,
		   uint8_t kek[32]);

#endif /* ESFD_KEYS_H */
