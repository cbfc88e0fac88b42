/* SPDX-License-Identifier: GPL-2.0 */
/*
 * esfd peer transport messages. The payload of each message is a oneM2M
 * securityInfo object in JSON (securityInfoType 3/4: receiverESPrimRandObject
 * request/response; 6: ESCertKE message), so a CSE could carry the same
 * payload in a NOTIFY primitive. Around it esfd puts a small binary frame
 * with the sender, receiver, key id, request id and time, and an HMAC tag
 * over the whole frame: a frame is authenticated before its JSON is parsed.
 *
 * Frame (integers big-endian; docs/key-derivation.md, "Peer transport"):
 *
 *   0   4  magic "ESFP"          20  8  time, seconds since the epoch
 *   4   1  version (1)           28  2  sender id length    (1..255)
 *   5   1  type (3,4,5,6)        30  2  receiver id length  (1..255)
 *   6   2  flags (0)             32  2  key id length       (1..64)
 *   8   4  frame length          34  2  reserved (0)
 *  12   8  request id            36  4  payload length
 *  40      sender id, receiver id, key id, payload, then a 32-byte tag:
 *          HMAC-SHA256(message key, every byte before the tag)
 */
#ifndef ESFD_MSG_H
#define ESFD_MSG_H

#include <stddef.h>
#include <stdint.h>

#include "enc.h"
#include "randobj.h"

#define ESFD_MSG_MAGIC		"ESFP"
#define ESFD_MSG_VERSION	1
#define ESFD_MSG_HDR_LEN	40
#define ESFD_MSG_TAG_LEN	32
/* Bytes needed to learn a frame's length (esfd_msg_frame_len()). */
#define ESFD_MSG_PEEK_LEN	12
#define ESFD_MSG_MAX		65536
#define ESFD_MSG_KID_MAX	64
#define ESFD_MSG_CERTKE_MAX	16384
#define ESFD_MSG_KEY_LEN	32
/* Longest ESPrim Object (JWE compact) a type 5 message carries. */
#define ESFD_MSG_ESPRIM_MAX	8192

/**
 * enum esfd_msg_type - message types: oneM2M securityInfoType values
 * @ESFD_MSG_RAND_REQ: receiverESPrimRandObject request
 * @ESFD_MSG_RAND_RESP: receiverESPrimRandObject response
 * @ESFD_MSG_ESPRIM: ESPrim Object (JWE compact); esfd uses it to confirm
 *	the sessionESPrimKey and carry the originator rand object ("oro")
 * @ESFD_MSG_CERTKE: ESCertKE message (TLS 1.2 handshake messages)
 */
enum esfd_msg_type {
	ESFD_MSG_RAND_REQ = 3,
	ESFD_MSG_RAND_RESP = 4,
	ESFD_MSG_ESPRIM = 5,
	ESFD_MSG_CERTKE = 6,
};

/**
 * struct esfd_msg - a decoded (or to be encoded) message
 * @type: &enum esfd_msg_type
 * @req_id: request id; a response carries its request's
 * @time: sender's clock, seconds since the epoch
 * @sender: sender's oneM2M id
 * @receiver: receiver's oneM2M id
 * @kid: id of the pairwise credential the tag key comes from (KpsaId)
 * @status: ESFD_MSG_RAND_RESP: 0 with @rand, or the oneM2M response status
 *	code of a refusal (4000..6999, e.g. 4111 unsupported option)
 * @rand: ESFD_MSG_RAND_RESP with @status 0: the receiverESPrimRandObject
 * @esprim: ESFD_MSG_ESPRIM: the ESPrim Object, NUL-terminated (owned;
 *	esfd_msg_free()), 1..ESFD_MSG_ESPRIM_MAX characters of base64url and
 *	dots
 * @certke: ESFD_MSG_CERTKE: the handshake bytes (owned; esfd_msg_free())
 * @certke_len: their length, 1..ESFD_MSG_CERTKE_MAX
 */
struct esfd_msg {
	uint8_t type;
	uint64_t req_id;
	int64_t time;
	char sender[ESFD_ID_MAX + 1];
	char receiver[ESFD_ID_MAX + 1];
	char kid[ESFD_MSG_KID_MAX + 1];
	int status;
	struct esfd_randobj rand;
	char *esprim;
	uint8_t *certke;
	size_t certke_len;
};

/**
 * typedef esfd_msg_key_fn - find the message key for a sender
 * @arg: the caller's context
 * @sender: the sender id from the frame (checked, NUL-terminated)
 * @kid: the key id from the frame (checked, NUL-terminated)
 * @key: filled with the ESFD_MSG_KEY_LEN-byte key (esfd_msg_key_derive())
 *
 * Return: 0, or -ENOKEY when the sender or key id is unknown.
 */
typedef int (*esfd_msg_key_fn)(void *arg, const char *sender, const char *kid,
			       uint8_t key[ESFD_MSG_KEY_LEN]);

/**
 * struct esfd_msg_ctx - what the receiver checks a message against
 * @self_id: this daemon's id; the frame's receiver must equal it
 * @now: current time, seconds since the epoch
 * @max_skew: largest accepted |frame time - @now|, seconds
 * @rand_max_lifetime: see esfd_randobj_from_json()
 * @get_key: key lookup
 * @arg: passed to @get_key
 */
struct esfd_msg_ctx {
	const char *self_id;
	int64_t now;
	uint32_t max_skew;
	int64_t rand_max_lifetime;
	esfd_msg_key_fn get_key;
	void *arg;
};

/**
 * esfd_msg_key_derive() - the transport's message key from a pairwise key
 * @kpsa: the pre-provisioned pairwise key
 * @kpsalen: its length, 16 .. 64 bytes
 * @key: ESFD_MSG_KEY_LEN bytes
 *
 * HKDF-SHA256(salt "oneM2M-ESF peer transport v1", Kpsa, info "message
 * authentication key"): a key of its own, so that no transport tag is ever
 * computed with a key that protects oneM2M data.
 *
 * Return: 0, -EINVAL for a bad length, or a backend error (@key wiped).
 */
int esfd_msg_key_derive(const uint8_t *kpsa, size_t kpsalen,
			uint8_t key[ESFD_MSG_KEY_LEN]);

/**
 * esfd_msg_encode() - build an authenticated frame
 * @m: the message (@m->time, ids, type and its payload fields)
 * @key: the message key
 * @out: set to a malloc()ed frame
 * @outlen: set to its length
 *
 * Return: 0; -EINVAL for an invalid message (bad id, unknown type, status
 * out of range, payload missing); -EMSGSIZE when the frame would exceed
 * ESFD_MSG_MAX; -ENOMEM; a backend error.
 */
int esfd_msg_encode(const struct esfd_msg *m,
		    const uint8_t key[ESFD_MSG_KEY_LEN],
		    uint8_t **out, size_t *outlen);

/**
 * esfd_msg_frame_len() - length of the frame that starts a stream buffer
 * @buf: received bytes
 * @len: how many
 *
 * For stream transports: read until this returns a length, then until the
 * buffer holds that many bytes.
 *
 * Return: the frame length; -EAGAIN when fewer than ESFD_MSG_PEEK_LEN bytes
 * are there; -EPROTO for a bad magic, flags or length; -EPROTONOSUPPORT
 * for another version; -EMSGSIZE beyond ESFD_MSG_MAX.
 */
long esfd_msg_frame_len(const uint8_t *buf, size_t len);

/**
 * esfd_msg_decode() - authenticate and decode one frame
 * @buf: exactly one frame
 * @len: its length
 * @ctx: receiver, clock, key lookup
 * @m: filled in on success (release with esfd_msg_free()); zeroed on failure
 *
 * The frame is checked in this order: framing; sender, receiver and key id
 * syntax; key lookup; tag (constant time); receiver; time; payload. The
 * JSON parser only ever sees authenticated bytes.
 *
 * Return: 0; -EPROTO malformed; -EPROTONOSUPPORT other version; -EMSGSIZE
 * too large; -ENOKEY (or the lookup's error) unknown sender or key id;
 * -EBADMSG bad tag; -EXDEV addressed to someone else; -ESTALE time outside
 * @ctx->max_skew; -EOPNOTSUPP unknown type or nothing supported offered;
 * -EKEYEXPIRED expired rand object; -ENOMEM.
 */
int esfd_msg_decode(const uint8_t *buf, size_t len,
		    const struct esfd_msg_ctx *ctx, struct esfd_msg *m);

/**
 * esfd_msg_payload_decode() - strict decoding of a securityInfo payload
 * @type: the frame's type
 * @json: the payload bytes
 * @len: their length
 * @ctx: clock and rand object limits (only @now and @rand_max_lifetime used)
 * @m: its payload fields are filled in (release with esfd_msg_free())
 *
 * Called by esfd_msg_decode() after authentication; exposed for tests and
 * fuzzing, and for a CSE front end that receives the payload in a NOTIFY.
 *
 * Return: 0, or the payload errors of esfd_msg_decode().
 */
int esfd_msg_payload_decode(uint8_t type, const char *json, size_t len,
			    const struct esfd_msg_ctx *ctx, struct esfd_msg *m);

/**
 * esfd_msg_free() - release what a decoded message owns, and zero it
 * @m: the message
 */
void esfd_msg_free(struct esfd_msg *m);

/**
 * esfd_msg_strerror() - what an error of this module means, for logs
 * @err: a negative errno returned by esfd_msg_decode()
 *
 * Return: a static string.
 */
const char *esfd_msg_strerror(int err);

#endif /* ESFD_MSG_H */
