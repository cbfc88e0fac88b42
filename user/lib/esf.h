/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libesf: the application library of esf.
 *
 * An application seals and opens oneM2M payloads under sessions that esfd
 * installed in the kernel; the library never holds a key. Every function
 * that can fail returns a negative errno (or a negative esf error code,
 * see esf_strerror()) and never exits or prints.
 *
 * This header has two parts: the fast path (one record or a batch through
 * the kernel's "esf" AF_ALG socket type) and, built on it, the oneM2M
 * envelopes (JOSE, ESPrim Objects, ESData).
 */
#ifndef ESF_H
#define ESF_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <linux/esf.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Fast path                                                          */
/* ------------------------------------------------------------------ */

/**
 * struct esf_session - an open session handle (opaque)
 *
 * One handle is one operation socket: use it from one thread at a time.
 * Open several handles on the same session for parallel work.
 */
struct esf_session;

/**
 * esf_session_open() - open a handle on a kernel session
 * @session_id: the session's id (ESF_A_SESSION_ID)
 * @data_class: the ESF target data class the caller protects (1..3), or 0
 *	for a session bound to none
 * @session_type: the ESF session type the caller uses (&enum
 *	esf_session_type), or 0 for a session bound to none
 * @sp: receives the handle
 *
 * The kernel checks @data_class and @session_type against the session's
 * binding on every record, so a key bound to one class or type cannot be
 * used for another.
 *
 * Return: 0, or -ENOENT (no such session; is esf.ko loaded?), -EACCES (the
 * caller is not the session's owner), -EAFNOSUPPORT (AF_ALG unavailable),
 * another negative errno.
 */
int esf_session_open(uint32_t session_id, unsigned int data_class,
		     unsigned int session_type, struct esf_session **sp);

/**
 * esf_session_close() - close a handle
 * @s: handle, or NULL
 */
void esf_session_close(struct esf_session *s);

/**
 * esf_session_info() - what the handle's session is
 * @s: handle
 *
 * Return: the session's algorithm, tag and nonce lengths, key id and
 * provider, as the kernel reported them when the handle was opened.
 */
const struct esf_session_info *esf_session_info(const struct esf_session *s);

/**
 * esf_seal_overhead() - bytes SEAL adds to a plaintext
 * @s: handle
 *
 * Return: nonce length plus tag length, plus the 16 bytes of padding an
 * authenc session may add at most (0 for MIC sessions). An upper bound:
 * esf_seal() returns the exact length.
 */
size_t esf_seal_overhead(const struct esf_session *s);

/**
 * esf_seal() - encrypt and authenticate one record
 * @s: handle of an AEAD session
 * @aad: additional authenticated data, or NULL
 * @aad_len: bytes at @aad (at most ESF_MAX_AAD)
 * @in: plaintext
 * @in_len: bytes at @in (at most ESF_MAX_DATA)
 * @out: receives nonce || ciphertext || tag
 * @out_size: bytes available at @out; esf_seal_overhead() + @in_len suffice
 * @seq: receives the sequence number the kernel used, or NULL
 *
 * The kernel chooses the nonce from the session's salt and counter.
 *
 * Return: bytes written to @out, or a negative errno: -EKEYEXPIRED (hard
 * lifetime or counter exhausted), -EPERM (session not for sealing),
 * -EKEYREJECTED (wrong data class or session type), -ENOKEY (session
 * deleted), -EMSGSIZE, -ENOSPC (@out too small).
 */
ssize_t esf_seal(struct esf_session *s, const void *aad, size_t aad_len,
		 const void *in, size_t in_len, void *out, size_t out_size,
		 uint64_t *seq);

/**
 * esf_open() - check, authenticate and decrypt one record
 * @s: handle of an AEAD session
 * @aad: the additional authenticated data the record was sealed with
 * @aad_len: bytes at @aad
 * @in: nonce || ciphertext || tag, as esf_seal() produced it
 * @in_len: bytes at @in
 * @out: receives the plaintext
 * @out_size: bytes available at @out; @in_len - esf_seal_overhead() suffice
 * @seq: receives the record's sequence number, or NULL
 *
 * Return: plaintext length, or -EBADMSG (forged, corrupted or foreign
 * record), -EALREADY (replay), -ESTALE (older than the replay window),
 * another negative errno as for esf_seal().
 */
ssize_t esf_open(struct esf_session *s, const void *aad, size_t aad_len,
		 const void *in, size_t in_len, void *out, size_t out_size,
		 uint64_t *seq);

/**
 * esf_sign() - compute the MIC of one record
 * @s: handle of a MIC session
 * @in: data
 * @in_len: bytes at @in
 * @tag: receives the tag (esf_session_info()->tag_len bytes)
 * @tag_size: bytes available at @tag
 *
 * Return: tag length, or a negative errno as for esf_seal().
 */
ssize_t esf_sign(struct esf_session *s, const void *in, size_t in_len,
		 void *tag, size_t tag_size);

/**
 * esf_verify() - check the MIC of one record
 * @s: handle of a MIC session
 * @in: data
 * @in_len: bytes at @in
 * @tag: the tag to check
 * @tag_len: bytes at @tag
 *
 * The kernel compares in constant time.
 *
 * Return: 0 if the tag is right, -EBADMSG if not, another negative errno.
 */
int esf_verify(struct esf_session *s, const void *in, size_t in_len,
	       const void *tag, size_t tag_len);

/**
 * struct esf_op - one record of a batch
 * @op: &enum esf_opcode
 * @aad: additional authenticated data (SEAL, OPEN), or NULL
 * @aad_len: bytes at @aad
 * @in: input (see the table in <linux/esf.h>)
 * @in_len: bytes at @in
 * @in2: more input, sent right after @in (for VERIFY: the tag), or NULL
 * @in2_len: bytes at @in2
 * @out: output buffer (may be NULL for VERIFY)
 * @out_size: bytes available at @out
 * @status: result: 0 or a negative errno for this record
 * @out_len: result: bytes written to @out
 * @seq: result: sequence number used (SEAL) or verified (OPEN)
 */
struct esf_op {
	uint8_t op;
	const void *aad;
	size_t aad_len;
	const void *in;
	size_t in_len;
	const void *in2;
	size_t in2_len;
	void *out;
	size_t out_size;
	int status;
	size_t out_len;
	uint64_t seq;
};

/**
 * esf_batch() - run many records in one kernel round trip
 * @s: handle
 * @ops: records; their results are filled in
 * @n: number of records (at most ESF_MAX_BATCH)
 *
 * One sendmsg and one recvmsg carry the whole batch, so small records do
 * not pay two system calls each, and asynchronous providers see the whole
 * batch at once. Each record succeeds or fails on its own (@ops[i].status).
 *
 * Return: 0 when the batch ran (check each status), or a negative errno
 * when it could not be submitted at all (-EMSGSIZE: too many records or
 * bytes for the socket; -EINVAL; -ENOKEY; -EACCES).
 */
int esf_batch(struct esf_session *s, struct esf_op *ops, size_t n);

/**
 * esf_strerror() - describe an error returned by libesf
 * @err: a negative errno or negative esf error code
 *
 * Return: a static, human-readable string, in the terms of this library
 * (for example -EALREADY reads "replayed record", not "Operation already
 * in progress").
 */
const char *esf_strerror(int err);

#ifdef __cplusplus
}
#endif

#endif /* ESF_H */
