/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * A software esf backend for host-side tests: OpenSSL does the crypto with
 * the kernel's record semantics (see the fast-path text in <linux/esf.h>),
 * so that libesf's envelope code runs unchanged without esf.ko.
 */
#ifndef SWBACKEND_H
#define SWBACKEND_H

#include <stdint.h>
#include "esf.h"

/**
 * struct sw_params - what esfd would have told the kernel
 * @alg: &enum esf_alg_id (GCM, RFC4106 or HMAC)
 * @key: key bytes
 * @key_len: bytes at @key
 * @salt: nonce salt (AEAD)
 * @seq_start: first SEAL sequence number
 * @tag_len: tag length; 0 = 16 for AEAD, the digest size for HMAC
 * @key_id: key id as text, or NULL
 * @direction: &enum esf_direction; 0 = both
 * @bound_class: ESF_A_DATA_CLASS binding, 0 = none
 * @bound_type: ESF_A_SESSION_TYPE binding, 0 = none
 * @replay_window: 0 = no replay check, else at most 1024 (for kw(aes):
 *	records remembered, as the kernel's replay record)
 * @cek_len: kw(aes): content key bytes; 0 = @key_len
 */
struct sw_params {
	uint8_t alg;
	const void *key;
	size_t key_len;
	uint8_t salt[4];
	uint64_t seq_start;
	uint8_t tag_len;
	const char *key_id;
	uint8_t direction;
	uint8_t bound_class;
	uint8_t bound_type;
	uint32_t replay_window;
	uint8_t cek_len;
};

/* A handle as esf_session_open(id, data_class, session_type) would give. */
struct esf_session *sw_session(const struct sw_params *p,
			       unsigned int data_class,
			       unsigned int session_type);

#endif /* SWBACKEND_H */
