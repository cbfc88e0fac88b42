/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Helpers shared by the host-side unit tests. */
#ifndef TEST_SUPPORT_H
#define TEST_SUPPORT_H

#include <stddef.h>
#include <stdint.h>

#include "esf.h"
#include "swbackend.h"

/* Test keys: 0x00 0x01 0x02 ... */
extern const uint8_t test_key[64];
extern const uint8_t test_salt[4];

/* AEAD (AES-GCM) handle with @key_len bytes of test_key, kid @kid. */
struct esf_session *aead_session(size_t key_len, const char *kid);
/* Receiving side of aead_session(): same key and salt, replay window on. */
struct esf_session *aead_peer(size_t key_len, const char *kid);
/*
 * kw(aes) handle: KEK @kek_len bytes of test_key, content keys of @cek_len
 * bytes (0: @kek_len), kid @kid, a replay record of 64 records.
 */
struct esf_session *kw_session(size_t kek_len, size_t cek_len, const char *kid);
/* HMAC handle: @alg an ESF_ALG_HMAC_*, full-length tag. */
struct esf_session *mic_session(uint8_t alg, const char *kid);

/* base64url decode of a test vector; aborts on a bad vector. */
void *b64d(const char *s, size_t *len);

/*
 * LeakSanitizer check of this test's process. The harness ends each test
 * with _exit(), which skips LSan's exit-time check, so tests call this at
 * their end; a leak makes the test fail.
 */
void leak_check(void);

#endif /* TEST_SUPPORT_H */
