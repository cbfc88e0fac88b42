/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd: ESPrim rand objects (oneM2M TS-0003 ESPrim; receiverESPrimRandObject
 * and originatorESPrimRandObject). A rand object carries a 128-bit random
 * value that, with the other party's, makes each sessionESPrimKey fresh, an
 * expiry that bounds how long ESPrim Objects under that key are accepted,
 * and the algorithms its creator supports.
 *
 * JSON form, with TS-0004's short names (members, all required, no others):
 *   "esri" esprimRandID            string, 1..64 chars of [A-Za-z0-9._~-]
 *   "esrv" esprimRandValue         string, standard base64 of exactly 16 bytes
 *   "esrx" esprimRandExpiry        string, oneM2M timestamp "YYYYMMDDTHHMMSS"
 *   "esks" esprimKeyGenAlgIDs      array of 1..8 distinct integers 1..255
 *   "espa" esprimProtocolAndAlgIDs array of 1..8 distinct integers 1..255
 *
 * The binary form that feeds sessionESPrimKey is in docs/key-derivation.md.
 */
#ifndef ESFD_RANDOBJ_H
#define ESFD_RANDOBJ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#define ESFD_RAND_VALUE_LEN	16
#define ESFD_RAND_ID_MAX	64
#define ESFD_RAND_ALGS_MAX	8
/* Largest output of esfd_randobj_kdf_bytes(). */
#define ESFD_RAND_KDF_MAX	(2 + ESFD_RAND_ID_MAX + ESFD_RAND_VALUE_LEN + 8 + \
				 2 * (1 + ESFD_RAND_ALGS_MAX))

/**
 * enum esfd_keygen_alg - esprimKeyGenAlgIDs values
 * @ESFD_KEYGEN_HMAC_SHA256: sessionESPrimKey = HMAC-SHA256(...) (TS-0003)
 */
enum esfd_keygen_alg {
	ESFD_KEYGEN_HMAC_SHA256 = 1,
};

/**
 * enum esfd_esprim_prot - esprimProtocolAndAlgIDs values
 * @ESFD_PROT_JWE_A128GCM: JWE compact serialization, "enc" A128GCM
 * @ESFD_PROT_JWE_A192GCM: JWE compact serialization, "enc" A192GCM
 * @ESFD_PROT_JWE_A256GCM: JWE compact serialization, "enc" A256GCM
 */
enum esfd_esprim_prot {
	ESFD_PROT_JWE_A128GCM = 10,
	ESFD_PROT_JWE_A192GCM = 11,
	ESFD_PROT_JWE_A256GCM = 12,
};

/**
 * struct esfd_randobj - an ESPrim rand object
 * @id: esprimRandID, NUL-terminated
 * @value: esprimRandValue
 * @expiry: esprimRandExpiry, seconds since the Unix epoch (UTC)
 * @n_keygen: entries used in @keygen
 * @keygen: esprimKeyGenAlgIDs, in the order given; unknown ids are kept
 *	(they are bound into the key) but never chosen
 * @n_prot: entries used in @prot
 * @prot: esprimProtocolAndAlgIDs, likewise
 */
struct esfd_randobj {
	char id[ESFD_RAND_ID_MAX + 1];
	uint8_t value[ESFD_RAND_VALUE_LEN];
	int64_t expiry;
	uint8_t n_keygen;
	uint8_t keygen[ESFD_RAND_ALGS_MAX];
	uint8_t n_prot;
	uint8_t prot[ESFD_RAND_ALGS_MAX];
};

/**
 * esfd_randobj_new() - make a fresh rand object
 * @ro: filled in
 * @now: current time, seconds since the epoch
 * @lifetime: seconds until expiry, 1 .. 30 days
 * @keygen: key generation algorithm ids offered (known ones only)
 * @n_keygen: 1 .. ESFD_RAND_ALGS_MAX
 * @prot: protocol/algorithm ids offered (known ones only)
 * @n_prot: 1 .. ESFD_RAND_ALGS_MAX
 *
 * The id is 16 random bytes in base64url (22 characters), the value 16
 * random bytes, both from getrandom(2).
 *
 * Return: 0, -EINVAL for a bad lifetime, list or duplicate id, or the error
 * of getrandom(2).
 */
int esfd_randobj_new(struct esfd_randobj *ro, int64_t now, uint32_t lifetime,
		     const uint8_t *keygen, size_t n_keygen,
		     const uint8_t *prot, size_t n_prot);

/**
 * esfd_randobj_expired() - has a rand object expired?
 * @ro: the rand object
 * @now: current time, seconds since the epoch
 *
 * Return: true when @now is at or past the expiry.
 */
bool esfd_randobj_expired(const struct esfd_randobj *ro, int64_t now);

/**
 * esfd_randobj_to_json() - JSON object of a rand object
 * @ro: the rand object; must be valid (as produced by esfd_randobj_new() or
 *	esfd_randobj_from_json())
 * @out: set to a new reference the caller releases with json_decref()
 *
 * Return: 0, -EINVAL for an invalid @ro, -ENOMEM.
 */
int esfd_randobj_to_json(const struct esfd_randobj *ro, json_t **out);

/**
 * esfd_randobj_from_json() - strict decoding of a rand object
 * @j: the JSON value
 * @now: current time, seconds since the epoch
 * @max_lifetime: largest accepted (expiry - @now) in seconds, 0 for no bound
 * @ro: filled in on success, zeroed on failure
 *
 * Return: 0; -EPROTO for a wrong type, an unknown, missing or malformed
 * member, a bad length or a duplicate id in a list; -EKEYEXPIRED when the
 * object has expired (@now at or past its expiry) or expires further away
 * than @max_lifetime; -EOPNOTSUPP when a list names no algorithm esfd
 * supports (oneM2M 4111, unsupported option).
 */
int esfd_randobj_from_json(const json_t *j, int64_t now, int64_t max_lifetime,
			   struct esfd_randobj *ro);

/**
 * esfd_randobj_decode() - strict decoding of a rand object's JSON text
 * @buf: JSON text (need not be NUL-terminated)
 * @len: its length
 * @now: see esfd_randobj_from_json()
 * @max_lifetime: see esfd_randobj_from_json()
 * @ro: filled in on success, zeroed on failure
 *
 * Duplicate member names and trailing data are rejected (-EPROTO).
 *
 * Return: as esfd_randobj_from_json().
 */
int esfd_randobj_decode(const char *buf, size_t len, int64_t now,
			int64_t max_lifetime, struct esfd_randobj *ro);

/**
 * esfd_randobj_encode() - compact JSON text of a rand object
 * @ro: the rand object
 * @out: set to a NUL-terminated string the caller frees with free()
 *
 * Return: 0, -EINVAL for an invalid @ro, -ENOMEM.
 */
int esfd_randobj_encode(const struct esfd_randobj *ro, char **out);

/**
 * esfd_randobj_kdf_bytes() - the binary form hashed into sessionESPrimKey
 * @ro: the rand object
 * @out: output buffer, ESFD_RAND_KDF_MAX bytes suffice
 * @outmax: size of @out
 * @outlen: set to the number of bytes written
 *
 * Layout (docs/key-derivation.md): u16 id length, id, 16-byte value, u64
 * expiry, u8 count and the key generation ids, u8 count and the protocol
 * ids; integers big-endian. Each field is length-prefixed or fixed-size, so
 * the concatenation of two objects parses back in one way only.
 *
 * Return: 0, -EINVAL for an invalid @ro, -ENOSPC when @out is too small.
 */
int esfd_randobj_kdf_bytes(const struct esfd_randobj *ro, uint8_t *out,
			   size_t outmax, size_t *outlen);

/**
 * esfd_randobj_choose_prot() - protocol/algorithm both objects offer
 * @receiver: the receiver's rand object (its order is the preference)
 * @originator: the originator's rand object
 *
 * Return: the first known id in @receiver's list that @originator also
 * lists, or -EOPNOTSUPP when there is none.
 */
int esfd_randobj_choose_prot(const struct esfd_randobj *receiver,
			     const struct esfd_randobj *originator);

#endif /* ESFD_RANDOBJ_H */
