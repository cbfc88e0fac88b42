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
 * The handle reaches the kernel through one of two front ends, with the
 * same results: the device /dev/esf, where it opens and the handle's
 * region (about 4 MiB, see docs/fast-path.md) fits under RLIMIT_MEMLOCK,
 * else an AF_ALG socket of esf's own type. The environment variable
 * ESF_FRONT forces one: "device" or "socket" ("auto", or unset, chooses
 * as above). esf_session_front() says which the handle got. A device
 * handle cannot be used by a child after fork(2) (-EACCES): open a new one
 * there.
 *
 * Return: 0, or -ENOENT (no such session; is esf.ko loaded?), -EACCES (the
 * caller is not the session's owner), -EAFNOSUPPORT (AF_ALG unavailable
 * and no /dev/esf), -EINVAL (also: ESF_FRONT is not one of the values
 * above), with ESF_FRONT=device: the error of open(2) on /dev/esf or
 * -ENOMEM (RLIMIT_MEMLOCK too small for the region); another negative
 * errno.
 */
int esf_session_open(uint32_t session_id, unsigned int data_class,
		     unsigned int session_type, struct esf_session **sp);

/**
 * esf_session_open_on() - esf_session_open() on a chosen front end
 * @session_id: as esf_session_open()
 * @data_class: likewise
 * @session_type: likewise
 * @front: "device", "socket", "auto", or NULL for ESF_FRONT's choice
 * @pool: bytes of the device region's buffer pool (esf_buf_alloc()), or 0
 *	for ESF_RING_POOL's or 2 MiB; at most 512 MiB. A socket handle
 *	ignores it
 * @sp: receives the handle
 *
 * Return: as esf_session_open().
 */
int esf_session_open_on(uint32_t session_id, unsigned int data_class,
			unsigned int session_type, const char *front, size_t pool,
			struct esf_session **sp);

/**
 * esf_session_front() - which front end a handle uses
 * @s: handle
 *
 * Return: "device" (/dev/esf), "socket" (AF_ALG) or "none" (a handle on
 * another backend, such as the unit tests' software one).
 */
const char *esf_session_front(const struct esf_session *s);

/**
 * esf_buf_alloc() - a buffer the handle's records are processed in with
 *	no copy
 * @s: handle
 * @size: bytes
 *
 * On a device handle, the buffer lies in the region registered with the
 * kernel, in whole pages: records whose AAD, input and output lie in such
 * buffers (and do not overlap) are read and written there by the kernel,
 * at any size; others are copied into and out of the region by libesf.
 * The region's pool is 2 MiB unless ESF_RING_POOL (bytes) says otherwise.
 * On a socket handle it is page-aligned heap memory (the socket takes
 * large records without copying wherever they are). Allocate I/O buffers
 * once and reuse them.
 *
 * Return: the buffer, or NULL when the pool (or memory) is exhausted.
 */
void *esf_buf_alloc(struct esf_session *s, size_t size);

/**
 * esf_buf_free() - release a buffer from esf_buf_alloc()
 * @s: the handle it came from
 * @buf: the buffer, or NULL
 */
void esf_buf_free(struct esf_session *s, void *buf);

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
 * esf_info_is_mic() - whether a session signs and verifies (MIC) rather
 *	than seals and opens (AEAD or key wrap)
 * @info: from esf_session_info()
 *
 * Return: non-zero for hmac(sha256/384/512) sessions.
 */
static inline int esf_info_is_mic(const struct esf_session_info *info)
{
	return info->alg >= ESF_ALG_HMAC_SHA256 && info->alg <= ESF_ALG_HMAC_SHA512;
}

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
 * @seq: receives the record's sequence number, or NULL; for a group
 *	session ESF_GROUP_SENDER(*@seq) is the member that sealed it
 *
 * Under the session's nonce policy "esf" (the default) @in must carry the
 * session's salt; under "any" its nonce may be any 12-byte IV, as other
 * JOSE and oneM2M implementations make them. A group session takes the
 * salt of any epoch it holds, and refuses its own sender id (-ENOMSG).
 *
 * Return: plaintext length, or -EBADMSG (forged or corrupted record),
 * -ENOMSG (the nonce's salt is not the session's: a record of another
 * session, or a sender's own IV under the policy "esf"), -EALREADY
 * (replay), -ESTALE (older than the replay window), another negative errno
 * as for esf_seal().
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
 * @in2: more input, sent right after @in (for VERIFY: the tag), or NULL;
 *	for %ESF_OP_RESEAL, the AAD to seal with (see esf_reseal())
 * @in2_len: bytes at @in2
 * @out: output buffer (may be NULL for VERIFY)
 * @out_size: bytes available at @out
 * @status: result: 0 or a negative errno for this record
 * @out_len: result: bytes written to @out
 * @seq: result: sequence number used (SEAL, and RESEAL: the second
 *	session's) or verified (OPEN)
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
 * On a device handle, one ioctl submits the batch, named by offsets in the
 * handle's region (records in esf_buf_alloc() buffers in place, others
 * copied through it), and returns when it is done. On a socket handle,
 * one sendmsg carries the whole batch. Either way, small records do not
 * pay system calls each, and asynchronous providers see the whole batch
 * at once. On a socket, the
 * kernel delivers each result into its @out before the call returns
 * (ESF_CMSG_OUTPUT), reading and writing the text of large AEAD records in
 * place, without copies. Outputs that overlap inputs of the batch, or an
 * esf.ko without that interface, make the results come back through one
 * recvmsg instead; the outcome is the same either way. Each record
 * succeeds or fails on its own (@ops[i].status).
 * A status of -EINTR (a signal arrived) or -EAGAIN (the socket's send
 * timeout passed) while the kernel waited for room on a saturated off-CPU
 * provider means the record did not run: send it again.
 *
 * Return: 0 when the batch ran (check each status), or a negative errno
 * when it could not be submitted at all (-EMSGSIZE: too many records or
 * bytes for the socket; -EINVAL; -ENOKEY; -EACCES).
 */
int esf_batch(struct esf_session *s, struct esf_op *ops, size_t n);

/**
 * esf_session_reseal_to() - let a handle seal again, in the kernel, what
 *	it opens
 * @s: a device handle (esf_session_front() says "device") on a session
 *	that opens
 * @session_id: the session to seal with; the caller must be allowed on it
 * @data_class: as esf_session_open(), for the sealing session
 * @session_type: likewise
 *
 * From then on the handle takes %ESF_OP_RESEAL records (esf_reseal(), or
 * esf_batch() with @in2 as the second AAD): each is opened under the
 * handle's session and sealed again under @session_id by esf.ko, and its
 * plaintext never reaches user space. Once per handle. The opening
 * session must be gcm(aes), ccm(aes) or kw(aes), a group session too (its
 * plaintext length follows from the record's); the sealing one any AEAD
 * session but kw(aes) and DTLS.
 *
 * Return: 0, or -EOPNOTSUPP (a socket handle, whose AF_ALG front end has
 * no re-seal, or a pair of algorithms it cannot take), -EPERM (the first
 * session does not open or the second does not seal), -EACCES, -ENOENT,
 * -EBUSY (already done), another negative errno.
 */
int esf_session_reseal_to(struct esf_session *s, uint32_t session_id,
			  unsigned int data_class, unsigned int session_type);

/**
 * esf_reseal_size() - the output slot of a re-seal
 * @s: a handle set up with esf_session_reseal_to()
 * @in_len: bytes of the record to open
 *
 * Return: the bytes the second session's record takes (its SEAL slot for
 * the plaintext the record holds), or 0 when @s has no second session.
 */
size_t esf_reseal_size(const struct esf_session *s, size_t in_len);

/**
 * esf_reseal() - open a record and seal its plaintext again, in the kernel
 * @s: a handle set up with esf_session_reseal_to()
 * @aad: the record's AAD under the handle's session, or NULL
 * @aad_len: bytes at @aad
 * @aad2: the AAD to seal with under the second session, or NULL
 * @aad2_len: bytes at @aad2
 * @in: the record: nonce || ciphertext || tag
 * @in_len: bytes at @in
 * @out: receives the second session's record
 * @out_size: bytes at @out, at least esf_reseal_size()
 * @seq: receives the second session's sequence number, or NULL
 *
 * Each session keeps its own rules (replay window, lifetime, counters).
 * The sealing side is checked and takes its sequence number first: a
 * record it refuses (-EKEYEXPIRED) is not opened and can be opened later;
 * a record that fails to open (-EBADMSG, -EALREADY, ...) spends one of
 * its sequence numbers.
 *
 * Return: bytes written to @out, or a negative errno: the opening's
 * (-EBADMSG, -EALREADY, -ESTALE, -ENOMSG), the sealing's (-EKEYEXPIRED),
 * -ENOSPC (@out_size too small), -EINVAL (@s has no second session).
 */
ssize_t esf_reseal(struct esf_session *s, const void *aad, size_t aad_len,
		   const void *aad2, size_t aad2_len, const void *in, size_t in_len,
		   void *out, size_t out_size, uint64_t *seq);

/**
 * esf_session_aggregate_from() - let a handle aggregate, in the kernel,
 *	records of another session
 * @s: a device handle on the session that seals the aggregates (upstream)
 * @session_id: a session that opens the inputs; the caller must be allowed
 *	on it
 * @data_class: as esf_session_open(), for the opening session
 * @session_type: likewise
 *
 * Up to %ESF_AGG_SESSIONS_MAX per handle, each given the next slot (0, 1,
 * ...) that esf_agg_input.slot names. The opening sessions must be
 * gcm(aes), ccm(aes) or kw(aes) (their plaintext length follows from the
 * record's), the handle's any AEAD session but kw(aes) and DTLS.
 *
 * Return: the slot, or -EOPNOTSUPP (a socket handle, or an algorithm the
 * kernel cannot aggregate), -EPERM (the session does not open, or the
 * handle's does not seal), -EACCES, -ENOENT, -ENOSPC (no slot left),
 * another negative errno.
 */
int esf_session_aggregate_from(struct esf_session *s, uint32_t session_id,
			       unsigned int data_class, unsigned int session_type);

/**
 * struct esf_agg_input - one record of an aggregate
 * @slot: its session, as esf_session_aggregate_from() returned it
 * @aad: the record's AAD, or NULL
 * @aad_len: bytes at @aad
 * @in: the record: nonce || ciphertext || tag
 * @in_len: bytes at @in
 * @status: set by esf_aggregate(): 0 when the record's replay window entry
 *	was spent, its own error for the record that failed the aggregate,
 *	-ECANCELED for a record left as it was (it may be aggregated again)
 */
struct esf_agg_input {
	unsigned int slot;
	const void *aad;
	size_t aad_len;
	const void *in;
	size_t in_len;
	int status;
};

/**
 * esf_aggregate_size() - the output slot of an aggregate
 * @s: a handle set up with esf_session_aggregate_from()
 * @in: the inputs
 * @n: how many
 *
 * Return: the bytes the handle's session's record of the framed
 * plaintexts takes, or 0 (no such slot, too many inputs, too long).
 */
size_t esf_aggregate_size(const struct esf_session *s, const struct esf_agg_input *in,
			  size_t n);

/**
 * esf_aggregate() - open many records and seal their plaintexts as one, in
 *	the kernel
 * @s: a handle set up with esf_session_aggregate_from()
 * @aad: the AAD to seal with, or NULL
 * @aad_len: bytes at @aad
 * @in: the records, 1 to %ESF_AGG_MAX; each one's status is set
 * @n: how many
 * @out: receives the handle's session's record
 * @out_size: bytes at @out, at least esf_aggregate_size()
 * @seq: receives its sequence number, or NULL
 *
 * esf.ko opens each record under its slot's session and seals, under the
 * handle's, their plaintexts in order, each preceded by its length as a
 * 32-bit big-endian number (esf_aggregate_split() takes them apart); no
 * plaintext reaches user space. All or nothing: a record that does not
 * open (-EBADMSG, -EALREADY, ...) fails the aggregate, spends no record's
 * replay window entry, and spends one of the handle's sequence numbers; a
 * sealing side out of lifetime (-EKEYEXPIRED) opens nothing.
 *
 * Return: bytes written to @out, or a negative errno (the failing record's,
 * the sealing side's, -ENOSPC for @out_size, -EMSGSIZE for more than
 * %ESF_MAX_DATA framed bytes or more than the handle's staging area,
 * -EINVAL).
 */
ssize_t esf_aggregate(struct esf_session *s, const void *aad, size_t aad_len,
		      struct esf_agg_input *in, size_t n, void *out, size_t out_size,
		      uint64_t *seq);

/**
 * esf_aggregate_split() - the plaintexts of an aggregate, once opened
 * @framed: what the aggregate's record opened to
 * @len: bytes at @framed
 * @off: receives each plaintext's offset in @framed
 * @lens: receives each plaintext's length
 * @max: room in @off and @lens
 *
 * Return: the number of plaintexts, or -ESF_E_FORMAT (a length past the
 * end), -ENOSPC (more than @max).
 */
int esf_aggregate_split(const void *framed, size_t len, size_t *off, size_t *lens, size_t max);

/**
 * esf_jwe_aggregate() - aggregate compact JWEs into one, in the kernel
 * @s: a handle set up with esf_session_aggregate_from(), on a gcm(aes)
 *	session
 * @jwes: compact JWEs ("dir", or A*KW of a kw(aes) session), each sealed
 *	under the session of its slot
 * @slots: the slot of each
 * @n: how many, 1 to %ESF_AGG_MAX
 * @status: receives each input's status (see esf_agg_input), or NULL
 * @out: receives a compact JWE under the handle's session ("cty"
 *	"esf-aggregate"), whose payload is the framed plaintexts
 *
 * Return: 0, or a negative errno or esf error code.
 */
int esf_jwe_aggregate(struct esf_session *s, const char *const *jwes,
		      const unsigned int *slots, size_t n, int *status, char **out);

/**
 * esf_strerror() - describe an error returned by libesf
 * @err: a negative errno or negative esf error code
 *
 * Return: a static, human-readable string, in the terms of this library
 * (for example -EALREADY reads "replayed record", not "Operation already
 * in progress").
 */
const char *esf_strerror(int err);

/* ------------------------------------------------------------------ */
/* Envelopes                                                          */
/* ------------------------------------------------------------------ */

/*
 * JOSE objects (JWE "dir" with A128GCM/A192GCM/A256GCM over AEAD sessions,
 * JWS HS256/HS384/HS512 over MIC sessions), oneM2M ESPrim Objects, the ESF
 * envelope element and the target data classes 1-3. Every function works
 * through the handle's session: the key stays in the kernel, which picks
 * the JWE IV. docs/envelopes.md describes the formats and the choices.
 *
 * Strings and buffers returned through "out" parameters are allocated with
 * malloc(): release them with free(). Outputs are NUL-terminated (a
 * payload too, one byte past its length) and untouched on failure.
 */

/* libesf's own error codes, returned negated; esf_strerror() names them. */
#define ESF_E_BASE 8192

/**
 * enum esf_errcode - libesf error codes (returned as -ESF_E_*)
 * @ESF_E_FORMAT: malformed envelope: bad JSON or base64url, duplicate
 *	member, wrong type, missing part, trailing data
 * @ESF_E_UNSUPPORTED: an option this library does not implement: another
 *	"alg" or "enc", "zip", a "crit" member it does not understand
 * @ESF_E_ALG_MISMATCH: "alg"/"enc" or tag length that the session's key
 *	cannot serve (wrong key size, AEAD versus MIC, truncated tag)
 * @ESF_E_KEY_ID: "kid" is not the session's key id
 * @ESF_E_ORIG_RAND: unknown originator rand object id ("ori")
 * @ESF_E_RECV_RAND: unknown receiver rand object id ("rri")
 * @ESF_E_IMPERSONATION: the protected primitive names another originator
 *	or request than the primitive that carries it
 * @ESF_E_CLASS: envelope of another target data class or session type
 * @ESF_E_CERT_EXPIRED: a signer's or recipient's certificate (or one in its
 *	chain) is past its notAfter
 * @ESF_E_CERT_NOT_YET_VALID: ... before its notBefore
 * @ESF_E_CERT_REVOKED: ... listed in the CRL
 * @ESF_E_CERT_UNKNOWN_CA: ... does not chain to the given roots (another
 *	CA, self-signed, a bad issuer signature)
 * @ESF_E_CERT_WRONG_ID: valid, but does not name the expected oneM2M id
 * @ESF_E_CERT_INVALID: any other verification failure (a CRL missing or
 *	expired, a malformed certificate, a key that is not ECDSA P-256)
 */
enum esf_errcode {
	ESF_E_FORMAT = ESF_E_BASE + 1,
	ESF_E_UNSUPPORTED,
	ESF_E_ALG_MISMATCH,
	ESF_E_KEY_ID,
	ESF_E_ORIG_RAND,
	ESF_E_RECV_RAND,
	ESF_E_IMPERSONATION,
	ESF_E_CLASS,
	ESF_E_CERT_EXPIRED,
	ESF_E_CERT_NOT_YET_VALID,
	ESF_E_CERT_REVOKED,
	ESF_E_CERT_UNKNOWN_CA,
	ESF_E_CERT_WRONG_ID,
	ESF_E_CERT_INVALID,
};

/* Longest envelope text any *_open() function accepts. */
#define ESF_ENVELOPE_MAX	(256 * 1024)

/* securityInfoType of an ESPrim Object (oneM2M TS-0004). */
#define ESF_SIT_ESPRIM		5

/* Resource Type that marks a class 2 primitive (see docs/envelopes.md). */
#define ESF_CLASS2_RESOURCE_TYPE 65535

/**
 * enum esf_jose_form - JOSE serialization
 * @ESF_JOSE_COMPACT: compact serialization (RFC 7515/7516 section 7.1)
 * @ESF_JOSE_JSON: general JSON serialization (section 7.2.1)
 * @ESF_JOSE_JSON_FLAT: flattened JSON serialization (section 7.2.2)
 */
enum esf_jose_form {
	ESF_JOSE_COMPACT = 1,
	ESF_JOSE_JSON = 2,
	ESF_JOSE_JSON_FLAT = 3,
};

/**
 * struct esf_jose_opts - optional inputs of esf_jose_seal()
 * @header: the exact JSON text of the protected header to use instead of
 *	the one libesf builds ("alg", "kid", "enc", "cty", "typ"), or NULL. It
 *	is checked as esf_jose_open() would check it.
 * @cty: "cty" of the built header, or NULL
 * @typ: "typ" of the built header, or NULL
 * @no_kid: leave "kid" out of the built header even if the session has a
 *	key id
 * @aad: JWE JSON serializations only: the "aad" member's octets, or NULL
 * @aad_len: bytes at @aad
 */
struct esf_jose_opts {
	const char *header;
	const char *cty;
	const char *typ;
	int no_kid;
	const void *aad;
	size_t aad_len;
};

/**
 * struct esf_jose_info - what esf_jose_open() found besides the payload
 * @jwe: 1 for a JWE, 0 for a JWS
 * @form: &enum esf_jose_form of the input
 * @header: the protected header's JSON text, as received
 * @cty: "cty" of the header, or NULL
 * @seq: JWE: the sequence number the kernel verified; JWS: 0
 * @aad: JWE JSON: the decoded "aad" member, or NULL
 * @aad_len: bytes at @aad
 * @kid: "kid" of the header (protected or not), or NULL
 */
struct esf_jose_info {
	int jwe;
	int form;
	char *header;
	char *cty;
	uint64_t seq;
	void *aad;
	size_t aad_len;
	char *kid;
};

/**
 * esf_jose_seal() - protect a payload as a JWE or JWS
 * @s: handle of an AEAD session (JWE "dir" with the "enc" of its key size)
 *	or of a MIC session (JWS HS256/384/512 after its hash)
 * @form: &enum esf_jose_form
 * @in: payload
 * @in_len: bytes at @in: for a JWE at most max_data (the receiver's OPEN
 *	takes the sealed record, up to %ESF_MAX_RECORD); for a JWS the signing
 *	input (header and payload in base64url) must fit in max_data
 * @opts: options, or NULL
 * @out: receives the serialization, NUL-terminated
 *
 * The JWE IV is the nonce the kernel chose; the JWE ciphertext and tag are
 * the kernel's SEAL output; the AAD is the protected header in base64url
 * (and "." and the "aad" member for JSON serializations).
 *
 * Return: 0, or -EINVAL (bad argument, @opts->aad with a compact form or a
 * JWS), -EMSGSIZE (payload or header too large), -ENOMEM, -ESF_E_FORMAT,
 * -ESF_E_UNSUPPORTED, -ESF_E_ALG_MISMATCH or -ESF_E_KEY_ID (@opts->header
 * does not fit the session), -ESF_E_KEY_ID (key id not usable as "kid"),
 * or an error of esf_seal() or esf_sign().
 */
int esf_jose_seal(struct esf_session *s, enum esf_jose_form form,
		  const void *in, size_t in_len,
		  const struct esf_jose_opts *opts, char **out);

/**
 * esf_jose_open() - check, authenticate and decode a JWE or JWS
 * @s: handle of the session the object was protected under
 * @in: compact or JSON serialization (the form is recognized)
 * @in_len: bytes at @in (at most %ESF_ENVELOPE_MAX)
 * @out: receives the payload (NUL-terminated one byte past @out_len)
 * @out_len: receives the payload length
 * @info: receives what else was found, or NULL; release with
 *	esf_jose_info_free()
 *
 * Return: 0, or -EMSGSIZE (input too large), -ESF_E_FORMAT, -ESF_E_UNSUPPORTED,
 * -ESF_E_ALG_MISMATCH, -ESF_E_KEY_ID, -EBADMSG (forged, corrupted or
 * foreign), -EALREADY (replayed JWE), -ESTALE, -ENOMEM, or another error of
 * esf_open() or esf_verify().
 */
int esf_jose_open(struct esf_session *s, const char *in, size_t in_len,
		  void **out, size_t *out_len, struct esf_jose_info *info);

/**
 * esf_nested_seal() - sign, then encrypt: a JWS inside a JWE (nested
 *	ESData, TS-0003)
 * @sign: handle of a MIC session: the inner JWS (HS256/384/512)
 * @enc: handle of an AEAD session ("dir") or a kw(aes) session (A*KW):
 *	the outer JWE
 * @form: serialization of both objects
 * @in: payload
 * @in_len: bytes at @in
 * @out: receives the JWE; its protected header has "cty" "JOSE" (compact
 *	inner JWS) or "JOSE+JSON" (JSON)
 *
 * The receiver verifies who signed after decrypting, and nobody without
 * the encryption key learns the payload or the signature.
 *
 * Return: 0, or -EINVAL, -ESF_E_ALG_MISMATCH (@sign not a MIC session or
 * @enc not an AEAD one), or an error of esf_jose_seal().
 */
int esf_nested_seal(struct esf_session *sign, struct esf_session *enc,
		    enum esf_jose_form form, const void *in, size_t in_len, char **out);

/**
 * esf_nested_open() - decrypt, then verify what esf_nested_seal() made
 * @verify: handle of the MIC session of the inner JWS
 * @dec: handle of the AEAD or kw(aes) session of the outer JWE
 * @in: the JWE, compact or JSON
 * @in_len: bytes at @in
 * @out: receives the payload (NUL-terminated one byte past @out_len)
 * @out_len: receives its length
 * @info: receives what the outer JWE said (its header, "cty", "kid"), or
 *	NULL; release with esf_jose_info_free()
 *
 * Any serialization of the inner JWS is taken. The outer "cty" must say
 * that the payload is a JOSE object: "JOSE", "JOSE+JSON" or, as nested
 * JWTs and some libraries write it, "JWT".
 *
 * Return: 0, or -ESF_E_FORMAT (no such "cty", or the payload is not a
 * JWS), or an error of esf_jose_open() for either object.
 */
int esf_nested_open(struct esf_session *verify, struct esf_session *dec, const char *in,
		    size_t in_len, void **out, size_t *out_len, struct esf_jose_info *info);

/**
 * esf_jose_peek() - what a JWE or JWS says about itself, before opening it
 * @in: compact or JSON serialization
 * @in_len: bytes at @in (at most %ESF_ENVELOPE_MAX)
 * @info: receives the kind (@info->jwe), the serialization (@info->form),
 *	the protected header's text, "kid", "cty" and the JSON "aad"
 *	(@info->seq is 0); release with esf_jose_info_free()
 *
 * Parses the object as esf_jose_open() would, without a session and
 * without the kernel: nothing in @info is authenticated. It tells a
 * receiver which of its sessions the object names ("kid") and whether it
 * is the kind of object expected, before esf_jose_open() lets the kernel
 * check a JWE and consume its sequence number. An object that is then
 * refused for its kind has not used up the sequence number of the real
 * one.
 *
 * Return: 0, or -EINVAL, -EMSGSIZE (input too large), -ESF_E_FORMAT
 * (malformed: bad JSON or base64url, missing part, "kid" not a string),
 * -ENOMEM.
 */
int esf_jose_peek(const char *in, size_t in_len, struct esf_jose_info *info);

/**
 * esf_jose_info_free() - release what esf_jose_open() put in @info
 * @info: filled by esf_jose_open() or esf_jose_peek(), or zeroed, or NULL
 */
void esf_jose_info_free(struct esf_jose_info *info);

/**
 * struct esf_esprim_hdr - oneM2M header fields of an ESPrim Object
 * @ori: esprimRandID of the originator's rand object (required)
 * @rri: esprimRandID of the receiver's rand object (required)
 * @oro: the originator's full rand object as JSON text, or NULL
 * @rro: the receiver's full rand object as JSON text, or NULL
 * @cty: "cty", or NULL
 */
struct esf_esprim_hdr {
	const char *ori;
	const char *rri;
	const char *oro;
	const char *rro;
	const char *cty;
};

/**
 * struct esf_esprim_info - header fields of an opened ESPrim Object
 * @ori: "ori"
 * @rri: "rri"
 * @oro: "oro" as compact JSON text, or NULL
 * @rro: "rro" as compact JSON text, or NULL
 * @cty: "cty", or NULL
 * @seq: the sequence number the kernel verified
 */
struct esf_esprim_info {
	char *ori;
	char *rri;
	char *oro;
	char *rro;
	char *cty;
	uint64_t seq;
};

/**
 * esf_esprim_seal() - make an ESPrim Object (JWE compact, "alg":"dir")
 * @s: handle of an AEAD session keyed with the sessionESPrimKey; its key
 *	id is the "kid" (pairwiseESPrimKeyID)
 * @h: header fields; @h->ori and @h->rri are required
 * @in: the protected data (for target data class 1, a serialized primitive)
 * @in_len: bytes at @in
 * @out: receives the ESPrim Object
 *
 * Return: 0, or -EINVAL (missing @h->ori or @h->rri), -ESF_E_FORMAT (@h->oro
 * or @h->rro is not a JSON object), -ESF_E_KEY_ID (the session has no key
 * id), or an error of esf_jose_seal().
 */
int esf_esprim_seal(struct esf_session *s, const struct esf_esprim_hdr *h,
		    const void *in, size_t in_len, char **out);

/**
 * esf_esprim_open() - check and decrypt an ESPrim Object
 * @s: handle of the session the object was sealed under
 * @in: the ESPrim Object (JWE compact)
 * @in_len: bytes at @in
 * @want_ori: the originator rand id this session was derived from, or
 *	NULL to accept any (then check @info->ori yourself)
 * @want_rri: likewise for the receiver rand id
 * @out: receives the decrypted data
 * @out_len: receives its length
 * @info: receives the header fields, or NULL; release with
 *	esf_esprim_info_free()
 *
 * Return: 0, or -ESF_E_FORMAT (not JWE compact, "ori"/"rri" missing or not
 * strings, "oro"/"rro" not objects), -ESF_E_KEY_ID ("kid" missing or not
 * the session's), -ESF_E_ORIG_RAND, -ESF_E_RECV_RAND, or an error of
 * esf_jose_open().
 */
int esf_esprim_open(struct esf_session *s, const char *in, size_t in_len,
		    const char *want_ori, const char *want_rri,
		    void **out, size_t *out_len, struct esf_esprim_info *info);

/**
 * esf_esprim_reseal() - open an ESPrim Object and seal it again for the
 *	next hop, in the kernel
 * @s: a device handle on the incoming hop's session, given the outgoing
 *	hop's session with esf_session_reseal_to()
 * @in: the incoming ESPrim Object (JWE compact)
 * @in_len: bytes at @in
 * @want_ori: "ori" the incoming object must carry, or NULL
 * @want_rri: "rri" likewise, or NULL
 * @h: the outgoing object's header fields, as esf_esprim_seal()'s
 * @out: receives the outgoing ESPrim Object, "kid" the second session's
 *
 * The payload (for target data class 1, the whole primitive) is opened and
 * sealed again by esf.ko (ESF_OP_RESEAL): it never reaches the caller,
 * which is what a gateway forwarding hop by hop wants. The incoming
 * object's header is checked as esf_esprim_open() checks it.
 *
 * Return: 0, or an error of esf_esprim_open() or esf_reseal(), or
 * -ESF_E_ALG_MISMATCH (a second session that cannot make an ESPrim
 * Object), -EINVAL (@s has no second session).
 */
int esf_esprim_reseal(struct esf_session *s, const char *in, size_t in_len,
		      const char *want_ori, const char *want_rri,
		      const struct esf_esprim_hdr *h, char **out);

/**
 * esf_esprim_info_free() - release what esf_esprim_open() put in @info
 * @info: filled by esf_esprim_open(), or zeroed, or NULL
 */
void esf_esprim_info_free(struct esf_esprim_info *info);

/**
 * esf_class1_wrap() - protect a whole primitive (target data class 1)
 * @s: as for esf_esprim_seal()
 * @h: as for esf_esprim_seal()
 * @prim: the inner request or response primitive, JSON serialization with
 *	short names (a request has "op", a response "rsc")
 * @prim_len: bytes at @prim
 * @out: receives the outer primitive: for a request a NOTIFY ("op":5) with
 *	the inner "to", "fr", "rqi" and "rvi"; for a response "rsc":2000 with
 *	the inner "rqi", "to", "fr" and "rvi"; either way "pc" is
 *	{"m2m:seci":{"sit":5,"epo":<ESPrim Object>}}
 *
 * Return: 0, or -ESF_E_FORMAT (@prim is not a request or response
 * primitive), or an error of esf_esprim_seal().
 */
int esf_class1_wrap(struct esf_session *s, const struct esf_esprim_hdr *h,
		    const char *prim, size_t prim_len, char **out);

/**
 * esf_class1_unwrap() - recover the primitive esf_class1_wrap() protected
 * @s: as for esf_esprim_open()
 * @prim: the outer primitive
 * @prim_len: bytes at @prim
 * @want_ori: as for esf_esprim_open()
 * @want_rri: as for esf_esprim_open()
 * @out: receives the inner primitive, exactly as it was sealed
 * @info: as for esf_esprim_open()
 *
 * Return: 0, or -ESF_E_FORMAT (not an outer NOTIFY or response carrying a
 * securityInfo of type 5), -ESF_E_IMPERSONATION (the inner primitive's
 * "fr" or "rqi" differs from the outer one's), or an error of
 * esf_esprim_open().
 */
int esf_class1_unwrap(struct esf_session *s, const char *prim, size_t prim_len,
		      const char *want_ori, const char *want_rri, char **out,
		      struct esf_esprim_info *info);

/**
 * esf_class1_reseal() - forward a class 1 primitive to the next hop
 *	without seeing it
 * @s: as for esf_esprim_reseal()
 * @prim: the outer primitive, as esf_class1_wrap() made it
 * @prim_len: bytes at @prim
 * @want_ori: as for esf_esprim_reseal()
 * @want_rri: likewise
 * @h: the outgoing ESPrim Object's header fields
 * @out: receives the outer primitive as it came, its ESPrim Object sealed
 *	again under the second session
 *
 * The carrier keeps its parameters ("fr", "rqi", ...): they must still
 * match the inner primitive, which only the receiver sees
 * (esf_class1_unwrap()).
 *
 * Return: 0, or -ESF_E_FORMAT (not a class 1 primitive), or an error of
 * esf_esprim_reseal().
 */
int esf_class1_reseal(struct esf_session *s, const char *prim, size_t prim_len,
		      const char *want_ori, const char *want_rri,
		      const struct esf_esprim_hdr *h, char **out);

/**
 * struct esf_envelope_info - what esf_envelope_open() found
 * @session_type: &enum esf_session_type named by the envelope
 * @data_class: target data class named by the envelope
 * @jwe: 1 for a JWE inside, 0 for a JWS or DTLS records
 * @form: &enum esf_jose_form of the JOSE object inside, or
 *	%ESF_ENVELOPE_DTLS for DTLS records
 * @seq: JWE: the sequence number the kernel verified; DTLS: the first
 *	record's epoch and sequence number
 */
struct esf_envelope_info {
	unsigned int session_type;
	unsigned int data_class;
	int jwe;
	int form;
	uint64_t seq;
};

/* esf_envelope_info.form of an Sm envelope carrying DTLS 1.2 records. */
#define ESF_ENVELOPE_DTLS	4

/**
 * esf_envelope_seal() - make an ESF envelope element around a JOSE object,
 *	or around DTLS records
 * @s: handle of an AEAD (JWE) or MIC (JWS) session, or of a session with
 *	%ESF_FRAMING_DTLS12: then the element carries the payload as DTLS
 *	1.2 application_data records, base64url, in "dtls", its session type
 *	is Sm, and @form is not used
 * @form: serialization of the JOSE object inside
 * @session_type: &enum esf_session_type to name; 0: the handle's, or S1
 * @data_class: target data class to name (1..3); 0: the handle's
 * @in: payload
 * @in_len: bytes at @in
 * @out: receives {"esf:env":{"sst":..,"tdc":..,"jwe"|"jws":..}}
 *
 * The session type and class are also protected header members, so the
 * outer names cannot be changed without breaking the object.
 *
 * Return: 0, or -EINVAL (no data class known, or out of range),
 * -ESF_E_CLASS (differs from the handle's binding), or an error of
 * esf_jose_seal().
 */
int esf_envelope_seal(struct esf_session *s, enum esf_jose_form form,
		      unsigned int session_type, unsigned int data_class,
		      const void *in, size_t in_len, char **out);

/**
 * esf_envelope_open() - check and open an ESF envelope element
 * @s: handle of the session
 * @in: the element's JSON text
 * @in_len: bytes at @in
 * @session_type: session type the caller expects, or 0 for any
 * @data_class: data class the caller expects, or 0 for any
 * @out: receives the payload
 * @out_len: receives its length
 * @info: receives what the envelope named, or NULL
 *
 * DTLS records have no header to name the class: an Sm envelope's "tdc"
 * is checked against @data_class and the handle's binding, and the kernel
 * session's own binding is what ties the records to a class.
 *
 * Return: 0, or -ESF_E_FORMAT, -ESF_E_ALG_MISMATCH (DTLS records for a
 * session without DTLS framing, or the other way), -ESF_E_CLASS (another
 * session type or class than expected, than the handle's, or than the
 * protected header's; DTLS records under a type other than Sm), or an
 * error of esf_jose_open() or, for DTLS records, esf_open().
 */
int esf_envelope_open(struct esf_session *s, const char *in, size_t in_len,
		      unsigned int session_type, unsigned int data_class,
		      void **out, size_t *out_len,
		      struct esf_envelope_info *info);

/**
 * esf_class2_seal() - protect the Content parameter (target data class 2)
 * @s: handle of an AEAD or MIC session
 * @form: serialization of the JOSE object in the envelope
 * @prim: request or response primitive, JSON with short names, with "pc"
 * @prim_len: bytes at @prim
 * @out: receives the primitive with "pc" replaced by an ESF envelope
 *	element (class 2) protecting the original "pc" and "ty"; a request's
 *	"ty" becomes %ESF_CLASS2_RESOURCE_TYPE
 *
 * Return: 0, or -ESF_E_FORMAT (not a primitive, no "pc", "ty" already the
 * reserved value), -ESF_E_CLASS (handle bound to another class), or an
 * error of esf_envelope_seal().
 */
int esf_class2_seal(struct esf_session *s, enum esf_jose_form form,
		    const char *prim, size_t prim_len, char **out);

/**
 * esf_class2_open() - restore a primitive esf_class2_seal() protected
 * @s: handle of the session
 * @prim: the protected primitive
 * @prim_len: bytes at @prim
 * @out: receives the primitive with its original "pc" and "ty"
 *
 * Return: 0, or -ESF_E_FORMAT, -ESF_E_CLASS (not a class 2 envelope), or an
 * error of esf_envelope_open().
 */
int esf_class2_open(struct esf_session *s, const char *prim, size_t prim_len,
		    char **out);

/**
 * esf_class3_seal() - protect a <contentInstance> (target data class 3)
 * @s: handle of an AEAD (ESData encryption) or MIC (ESData signature)
 *	session
 * @form: %ESF_JOSE_COMPACT (contentInfo suffix ":1") or %ESF_JOSE_JSON
 *	(suffix ":2")
 * @cin: the resource's attributes as JSON, bare or inside "m2m:cin"; "con"
 *	is required, "cnf" and "or" are protected with it when present
 * @cin_len: bytes at @cin
 * @out: receives the resource with "con" the JOSE object, "cnf" the JOSE
 *	media type with the suffix, "or" removed; other attributes unchanged
 *
 * Return: 0, or -EINVAL (@form), -ESF_E_FORMAT ("con" missing, or
 * "con"/"cnf"/"or" not strings), -ESF_E_CLASS, or an error of
 * esf_jose_seal().
 */
int esf_class3_seal(struct esf_session *s, enum esf_jose_form form,
		    const char *cin, size_t cin_len, char **out);

/**
 * esf_class3_seal_nested() - esf_class3_seal(), signed then encrypted
 * @sign: handle of a MIC session (the inner JWS)
 * @enc: handle of an AEAD or kw(aes) session (the outer JWE)
 * @form: as for esf_class3_seal(): the serialization of both objects
 * @cin: as for esf_class3_seal()
 * @cin_len: bytes at @cin
 * @out: as for esf_class3_seal(), "con" being the JWE of esf_nested_seal()
 *
 * Return: as esf_class3_seal(), or an error of esf_nested_seal().
 */
int esf_class3_seal_nested(struct esf_session *sign, struct esf_session *enc,
			   enum esf_jose_form form, const char *cin, size_t cin_len,
			   char **out);

/**
 * esf_class3_open_nested() - restore what esf_class3_seal_nested() protected
 * @verify: handle of the inner JWS's MIC session
 * @dec: handle of the outer JWE's session
 * @cin: the protected resource
 * @cin_len: bytes at @cin
 * @out: receives the resource with its original "con", "cnf" and "or"
 *
 * Return: as esf_class3_open(), or an error of esf_nested_open().
 */
int esf_class3_open_nested(struct esf_session *verify, struct esf_session *dec,
			   const char *cin, size_t cin_len, char **out);

/**
 * esf_class3_open() - restore a <contentInstance> esf_class3_seal() protected
 * @s: handle of the session
 * @cin: the protected resource, bare or inside "m2m:cin"
 * @cin_len: bytes at @cin
 * @out: receives the resource with its original "con", "cnf" and "or"
 *
 * Return: 0, or -ESF_E_FORMAT (no ":1"/":2" contentInfo, or "con" not of
 * that form), -ESF_E_CLASS, -ESF_E_UNSUPPORTED (a nested, signed "con":
 * use esf_class3_open_nested()), or an error of esf_jose_open().
 */
int esf_class3_open(struct esf_session *s, const char *cin, size_t cin_len,
		    char **out);

/**
 * esf_onem2m_rsc() - the oneM2M response status code for an error
 * @err: 0, a negative errno or a negative esf error code
 * @opening: non-zero if @err came from opening (receiving), zero if from
 *	sealing (sending)
 *
 * Return: 2000 for 0; 4111..4116 for the ESPrim conditions (unsupported
 * option, unknown key id, unknown originator or receiver rand id, bad MAC,
 * impersonation); 5000 for resource exhaustion; otherwise 5210 (decryption
 * error) when opening and 5211 (encryption error) when sealing.
 */
int esf_onem2m_rsc(int err, int opening);

/**
 * esf_onem2m_rsc_name() - the TS-0004 name of a response status code
 * @rsc: a code esf_onem2m_rsc() returns, or one of the codes esfd and
 *	esf-mqtt answer primitives with (2000, 4000, 4001, 4004, 4005, 4008,
 *	4103, 5000, 5001, 5103)
 *
 * Return: a static string such as "ESPRIM_BAD_MAC", or "UNKNOWN".
 */
const char *esf_onem2m_rsc_name(int rsc);

/* ------------------------------------------------------------------ */
/* Sessions from esfd                                                 */
/* ------------------------------------------------------------------ */

/* Where esfd listens unless its configuration says otherwise. */
#define ESF_CTL_DEFAULT "/run/esfd/control.sock"

/**
 * struct esf_peer_session - the current ESPrim session pair to a peer
 * @seal_id: kernel session that seals towards the peer (esf_session_open())
 * @open_id: kernel session that opens what the peer sealed
 * @data_class: the target data class both are bound to
 * @kid: "kid" of the ESPrim Objects (pairwiseESPrimKeyID)
 * @ori: "ori": id of the originator rand object
 * @rri: "rri": id of the receiver rand object
 * @expires: when the kernel stops the pair, seconds since the epoch
 */
struct esf_peer_session {
	uint32_t seal_id;
	uint32_t open_id;
	unsigned int data_class;
	char kid[65];
	char ori[65];
	char rri[65];
	int64_t expires;
};

/**
 * esf_peer_session() - "the current session to peer X for class Y"
 * @ctl_path: esfd's control socket, or NULL for %ESF_CTL_DEFAULT (or the
 *	ESFD_CONTROL_SOCKET environment variable when set)
 * @peer: the peer's oneM2M id or its name in esfd.conf
 * @data_class: target data class, 1..3
 * @timeout_ms: how long esfd may take to establish a session when there is
 *	none yet (0: esfd's default, 5 s)
 * @out: filled in on success
 *
 * Asks esfd, which establishes the pair on demand. After a rekey esfd
 * answers with the new pair while the old one keeps opening for a grace
 * period: call this again when sealing fails with -ENOKEY or -EKEYEXPIRED
 * (or simply before each message: it is one local round trip).
 *
 * Return: 0; -ECONNREFUSED or -ENOENT (esfd not running); -EACCES (the
 * caller is not the owner esfd.conf names for the peer's sessions);
 * -ETIMEDOUT (the peer did not answer); -ECONNREFUSED also when the peer
 * refused (its oneM2M code is in esfd's log); another negative errno.
 */
int esf_peer_session(const char *ctl_path, const char *peer, unsigned int data_class,
		     unsigned int timeout_ms, struct esf_peer_session *out);

/* Largest payload esf_es256_sign() takes (esfd's limit). */
#define ESF_ES256_PAYLOAD_MAX	32768

/**
 * esf_es256_sign() - a JWS ES256 made by esfd with the entity's private key
 * @ctl_path: as for esf_peer_session()
 * @payload: the bytes to sign
 * @len: their number, at most %ESF_ES256_PAYLOAD_MAX
 * @cty: the "cty" header parameter, or NULL
 * @jws: receives the JWS compact serialization, NUL-terminated; free() it
 *
 * The application never holds the key: esfd signs with the private key of
 * its certificate credential ([esfd] key-file) and puts its certificate
 * chain in the protected header ("x5c"), so that a receiver holding only
 * the CA root can verify it offline (esf_es256_verify()). esfd builds the
 * header itself: {"alg":"ES256","cty":@cty,"x5c":[...]}. Who may ask:
 * root, esfd's user, and [esfd] sign-uid / sign-gid (esfd.conf(5)).
 *
 * Return: 0; -EACCES (not allowed to sign); -ENOKEY (esfd has no
 * certificate credential); -EMSGSIZE; -EINVAL (bad @cty); -ECONNREFUSED or
 * -ENOENT (esfd not running); -EPROTO (a reply that is not esfd's);
 * another negative errno.
 */
int esf_es256_sign(const char *ctl_path, const void *payload, size_t len, const char *cty,
		   char **jws);

/**
 * struct esf_es256_opts - how esf_es256_verify() checks the signer
 * @ca_file: PEM file of the CA roots to trust (required)
 * @crl_file: PEM CRL checked for the signer's certificate, or NULL
 * @signer_id: the oneM2M id the signer's certificate must name (a
 *	subjectAltName URI, byte for byte), or NULL to accept any and learn it
 *	from @signer
 * @at: the time to verify at, seconds since the epoch; 0: now
 */
struct esf_es256_opts {
	const char *ca_file;
	const char *crl_file;
	const char *signer_id;
	int64_t at;
};

/**
 * esf_es256_verify() - verify a JWS ES256 that carries its signer's chain
 * @jws: the JWS, compact or flattened JSON serialization
 * @len: its length
 * @opts: the roots, CRL, expected signer and time
 * @payload: receives the payload (NUL-terminated one byte past @payload_len;
 *	free() it)
 * @payload_len: receives its length
 * @signer: receives the signer's oneM2M id (its certificate's first
 *	subjectAltName URI; free() it), or NULL
 *
 * Offline: the chain comes from the protected header's "x5c" (leaf first),
 * is verified against @opts->ca_file (and the CRL), then the ECDSA P-256
 * signature over the JWS signing input. Made by esf_es256_sign() or by any
 * JOSE implementation that signs ES256 with "x5c" in the protected header.
 *
 * Return: 0; -EBADMSG (the signature does not verify); -ESF_E_CERT_EXPIRED,
 * -ESF_E_CERT_NOT_YET_VALID, -ESF_E_CERT_REVOKED, -ESF_E_CERT_UNKNOWN_CA,
 * -ESF_E_CERT_WRONG_ID, -ESF_E_CERT_INVALID; -ESF_E_FORMAT (not a JWS, no
 * "x5c" in the protected header, a signature of the wrong length);
 * -ESF_E_UNSUPPORTED (another "alg", a "crit" member); -EMSGSIZE; -EINVAL
 * (no @opts->ca_file); -ENOENT or another errno reading the files;
 * -ENOMEM.
 */
int esf_es256_verify(const char *jws, size_t len, const struct esf_es256_opts *opts,
		     void **payload, size_t *payload_len, char **signer);

/* Largest payload esf_ecdh_seal() takes: one kernel record. */
#define ESF_ECDH_PAYLOAD_MAX	ESF_MAX_DATA

/**
 * esf_ecdh_seal() - a JWE encrypted to a peer's certificate,
 *	"ECDH-ES+A128KW" with "A128GCM", the content encryption in the kernel
 * @ctl_path: as for esf_peer_session()
 * @cert_pem: the recipient's certificate, PEM (its intermediates may
 *	follow), NUL-terminated
 * @peer_id: the oneM2M id the certificate must name (a subjectAltName
 *	URI, byte for byte)
 * @payload: the bytes to encrypt
 * @len: their number, at most %ESF_ECDH_PAYLOAD_MAX
 * @cty: the "cty" header parameter, or NULL
 * @jwe: receives the JWE compact serialization; free() it
 *
 * One message, no session with the peer: esfd verifies the certificate
 * against its CA roots (and CRL) at the current time, makes an ephemeral
 * P-256 key, agrees the key-encryption key with the certificate's key
 * (RFC 7518 4.6, Concat KDF) and installs it as a one-shot kw(aes) session
 * the caller owns; the kernel then makes a fresh content key, wraps it
 * (the JWE Encrypted Key) and encrypts the payload under it. The caller
 * never holds a key. The protected header is {"alg":"ECDH-ES+A128KW",
 * "enc":"A128GCM","epk":{...},"x5t#S256":<the recipient certificate's
 * thumbprint>} with "cty" when given; any JOSE implementation holding the
 * recipient's private key opens it, esf_ecdh_open() on the recipient's
 * esfd too. Who may ask: as for esf_es256_sign().
 *
 * Return: 0; -ESF_E_CERT_EXPIRED, -ESF_E_CERT_NOT_YET_VALID,
 * -ESF_E_CERT_REVOKED, -ESF_E_CERT_UNKNOWN_CA, -ESF_E_CERT_WRONG_ID,
 * -ESF_E_CERT_INVALID (the recipient's certificate is refused); -EACCES;
 * -ENOKEY (esfd has no certificate credential, so no CA to check with);
 * -EBUSY (the caller holds 64 single-message sessions not yet used);
 * -ENODEV (esf.ko not loaded); -EMSGSIZE; -EINVAL; -ECONNREFUSED or
 * -ENOENT (esfd not running); an error of esf_session_open() or
 * esf_seal(); -EPROTO; another negative errno.
 */
int esf_ecdh_seal(const char *ctl_path, const char *cert_pem, const char *peer_id,
		  const void *payload, size_t len, const char *cty, char **jwe);

/**
 * esf_ecdh_open() - open a JWE encrypted to this entity's certificate
 * @ctl_path: as for esf_peer_session()
 * @jwe: the JWE, compact or JSON serialization, "alg" "ECDH-ES+A128KW",
 *	"enc" "A128GCM", from esf_ecdh_seal() or any JOSE implementation
 * @len: its length
 * @out: receives the payload (NUL-terminated one byte past @out_len;
 *	free() it)
 * @out_len: receives its length
 * @info: receives the protected header and "cty", or NULL; release with
 *	esf_jose_info_free()
 *
 * esfd agrees the key-encryption key from the header's "epk" (and "apu",
 * "apv") with the private key of its certificate and installs it as a
 * one-shot kw(aes) session the caller owns; the kernel unwraps the content
 * key and decrypts. A JWE whose "x5t#S256" names another certificate is
 * refused before any key is agreed. A single message has no sequence
 * number: a copy of it opens again, so a receiver that must not act twice
 * checks what the payload says (a oneM2M request's "rqi" and "rqet").
 *
 * Return: 0; -EBADMSG (forged or corrupted, or encrypted to another key);
 * -ENOKEY (encrypted to another certificate, or no credential);
 * -ESF_E_FORMAT; -ESF_E_UNSUPPORTED (another "alg" or "enc"); -EACCES;
 * -EBUSY; -ENODEV; -EINVAL; -EMSGSIZE; -EPROTO; another negative errno.
 */
int esf_ecdh_open(const char *ctl_path, const char *jwe, size_t len, void **out,
		  size_t *out_len, struct esf_jose_info *info);

/* "cty" of a broadcast's signed statement; the largest command it takes. */
#define ESF_BROADCAST_CTY	"application/vnd.esf.broadcast+json"
#define ESF_BROADCAST_MAX	16384

/**
 * esf_broadcast_seal() - a command for a group, signed by this entity and
 *	encrypted under its group session
 * @ctl_path: esfd's control socket, as for esf_es256_sign(): esfd signs
 * @s: handle on the group session (its key id is the group's id, as esfd
 *	installs group sessions)
 * @sender: this member's sender id in the group (esfctl group show)
 * @cmd: the command
 * @len: its length, at most %ESF_BROADCAST_MAX
 * @out: receives the JWE compact serialization; free() it
 *
 * A group agent (a gateway) tells a group something that every member
 * can read and none can forge, although all hold the group key: esfd
 * signs the statement {"grp":GROUP,"snd":@sender,"cmd":BASE64URL(@cmd)}
 * as a JWS ES256 with its certificate chain ("x5c", "cty"
 * %ESF_BROADCAST_CTY), and the kernel seals that JWS under the group
 * session ("dir", "cty" "JOSE"), stamping the record with this member's
 * sender id. A receiver (esf_broadcast_open()) checks the signer's
 * certificate against the CA root and both bindings, so a member cannot
 * seal a broadcast it opened again as if it were the issuer's, nor carry
 * it into another group. Who may ask esfd to sign: as for
 * esf_es256_sign().
 *
 * Return: 0, -EINVAL, -EMSGSIZE, -ESF_E_KEY_ID (the session has no group
 * id), an error of esf_es256_sign() (-EACCES, -ENOKEY: esfd has no
 * certificate credential) or of esf_jose_seal().
 */
int esf_broadcast_seal(const char *ctl_path, struct esf_session *s, unsigned int sender,
		       const void *cmd, size_t len, char **out);

/**
 * esf_broadcast_open() - open a group broadcast and check who issued it
 * @s: handle on the group session
 * @in: the JWE
 * @in_len: its length
 * @opts: the CA root (and CRL) and, required, @opts->signer_id: the
 *	issuer the broadcast must come from (its certificate's id)
 * @cmd: receives the command (NUL-terminated one byte past @cmd_len;
 *	free() it)
 * @cmd_len: receives its length
 * @signer: receives the issuer's id (free() it), or NULL
 *
 * The kernel opens the record (group key, the sender's replay window),
 * then the JWS inside is verified as esf_es256_verify() does, then the
 * statement must name this session's group and the sender id the kernel
 * read from the record.
 *
 * Return: 0; an error of esf_jose_open() (-EBADMSG, -EALREADY, -ENOMSG:
 * another group's or an old epoch's record); of esf_es256_verify()
 * (-EBADMSG: the signature does not verify; -ESF_E_CERT_*:
 * -ESF_E_CERT_WRONG_ID for a signer other than @opts->signer_id);
 * -ESF_E_FORMAT (not a signed broadcast); -ESF_E_IMPERSONATION (signed
 * for another group, or sealed by a member other than the one the issuer
 * signed for); -EINVAL (no @opts->signer_id).
 */
int esf_broadcast_open(struct esf_session *s, const char *in, size_t in_len,
		       const struct esf_es256_opts *opts, void **cmd, size_t *cmd_len,
		       char **signer);

/**
 * esf_ctl_request() - one raw request to esfd's control socket
 * @ctl_path: as for esf_peer_session()
 * @request: a JSON object, as text (docs/esfd.md, "Control protocol")
 * @reply: receives esfd's reply, a JSON object as NUL-terminated text;
 *	release with free()
 *
 * Return: 0 when a reply came (its "status" says how the request went), or
 * a negative errno from the socket.
 */
int esf_ctl_request(const char *ctl_path, const char *request, char **reply);

#ifdef __cplusplus
}
#endif

#endif /* ESF_H */
