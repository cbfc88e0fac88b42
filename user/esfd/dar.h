/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Data at rest (TR-0012 7.3.2): the sealed contentInstance object.
 *
 * A writer's esfd seals a contentInstance under a key of its own for that
 * one item: the per-contentInstance key of esfd_kdf_dar_item_key(), bound
 * to the container id and a fresh 16-byte nonce. The object carries the
 * container id and the nonce in its protected header, so that a reader
 * holding the container's root keys derives the same key from the object
 * alone; it carries no key. It is a JOSE compact serialization, so that
 * any JOSE library can open it once it has the key:
 *
 *   confidential:   JWE, "alg":"dir", "enc":"A256GCM", key from Kdc
 *   integrity only: JWS, "alg":"HS256", key from Kdai
 *
 * and the header is exactly {"alg", ["enc",] "cty":"esf-dar", "cnt": the
 * container id, "nnc": the nonce in base64url}. docs/esfd.md, "Data at
 * rest", has the derivation and the bytes.
 */
#ifndef ESFD_DAR_H
#define ESFD_DAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kdf.h"

#define ESFD_DAR_CTY		"esf-dar"
#define ESFD_DAR_NONCE_LEN	16
/* Largest contentInstance content esfd seals (the object stays well under
 * a primitive's 64 KiB, with the gateway's envelope around it).
 */
#define ESFD_DAR_PT_MAX		8192
/* Largest object: header, base64url of the content, IV and tag. */
#define ESFD_DAR_OBJ_MAX	12288
/* A stored item's resource name: "cin-" and the nonce in base64url. */
#define ESFD_DAR_RN_MAX		(4 + 22)

/**
 * esfd_dar_root() - a container's data-at-rest root keys
 * @kpsa: the container's Kpsa
 * @kpsalen: its length, 16 .. 64
 * @cid: the container id (the salt)
 * @root: Kdai (auth) and Kdc (conf), esfd_kdf_dar_keys() with SHA-256
 *
 * Return: as esfd_kdf_dar_keys(); -EINVAL for an id that is no salt.
 */
int esfd_dar_root(const uint8_t *kpsa, size_t kpsalen, const char *cid,
		  struct esfd_key_pair *root);

/**
 * esfd_dar_seal() - seal one contentInstance
 * @root: the container's root keys
 * @cid: the container id
 * @integrity_only: a JWS under the Kdai item key, not a JWE under Kdc's
 * @nonce: ESFD_DAR_NONCE_LEN fresh random bytes (the caller draws them, so
 *	that tests can fix them)
 * @pt: the content
 * @len: its length, 1 .. ESFD_DAR_PT_MAX
 * @out: set to the object, NUL-terminated (free() it)
 *
 * Return: 0, -EINVAL, -ENOMEM, -EIO.
 */
int esfd_dar_seal(const struct esfd_key_pair *root, const char *cid, bool integrity_only,
		  const uint8_t nonce[ESFD_DAR_NONCE_LEN], const void *pt, size_t len,
		  char **out);

/**
 * struct esfd_dar_hdr - what an object's header says (no key needed)
 * @integrity_only: a JWS (else a JWE)
 * @nonce: its nonce
 * @rn: its resource name, "cin-" + the nonce in base64url
 */
struct esfd_dar_hdr {
	bool integrity_only;
	uint8_t nonce[ESFD_DAR_NONCE_LEN];
	char rn[ESFD_DAR_RN_MAX + 1];
};

/**
 * esfd_dar_parse() - check an object's form and read its header
 * @obj: the object, NUL-terminated
 * @cid: the container it must be for
 * @h: filled in
 *
 * What the hosting gateway checks before it stores an object: the parts,
 * their base64url, the header exactly as esfd_dar_seal() writes it and
 * the container id. The tag is not checked (the gateway has no key).
 *
 * Return: 0, -EPROTO (malformed), -EXDEV (another container's object).
 */
int esfd_dar_parse(const char *obj, const char *cid, struct esfd_dar_hdr *h);

/**
 * esfd_dar_open() - verify and open one stored contentInstance
 * @root: the container's root keys
 * @cid: the container id
 * @integrity_only: what the container's items must be: an object of the
 *	other kind is refused (no downgrade to integrity only)
 * @obj: the object
 * @pt: receives the content (wiped on any failure: no partial plaintext)
 * @max: its size
 * @len: set to the content's length
 *
 * Return: 0; -EPROTO, -EXDEV as esfd_dar_parse(); -EMEDIUMTYPE for the
 * other kind; -EBADMSG when the tag does not verify (another key, or the
 * object was altered); -ENOSPC when @max is too small.
 */
int esfd_dar_open(const struct esfd_key_pair *root, const char *cid, bool integrity_only,
		  const char *obj, uint8_t *pt, size_t max, size_t *len);

#endif /* ESFD_DAR_H */
