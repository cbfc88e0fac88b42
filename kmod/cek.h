/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Key-wrap sessions (kw(aes), JWE "A128KW"/"A192KW"/"A256KW"): a fresh
 * content-encryption key for every record, made, used and wrapped in the
 * kernel, and the AES-GCM transforms that use those keys.
 */
#ifndef _ESF_CEK_H
#define _ESF_CEK_H

#include <linux/list.h>
#include <linux/spinlock.h>
#include <linux/types.h>

struct crypto_aead;
struct esf_aes_key;
struct esf_session;
struct netlink_ext_ack;

/* Bytes of RFC 3394 integrity check value ahead of a wrapped key. */
#define ESF_KW_ICV_LEN	8

/* One content transform; records take one each, for the length of a run. */
struct esf_cek_tfm {
	struct list_head node;
	struct crypto_aead *aead;
};

/*
 * The content transforms of a key-wrap session. Idle ones wait on a list;
 * a record in flight holds one, so the list grows to the most records ever
 * in flight at once and no further.
 */
struct esf_cek_pool {
	spinlock_t lock;	/* the idle list and the count */
	struct list_head idle;
	const char *name;	/* what to allocate: ESF_A_DRIVER or "gcm(aes)" */
	unsigned int count;	/* allocated, idle or not */
};

int esf_cek_init(struct esf_session *s, const char *driver, struct netlink_ext_ack *extack);
void esf_cek_free(struct esf_session *s);
struct esf_cek_tfm *esf_cek_get(struct esf_session *s, const u8 *cek);
void esf_cek_put(struct esf_session *s, struct esf_cek_tfm *t);
int esf_cek_setkek(struct esf_session *s, const u8 *key, unsigned int len);
void esf_cek_freekek(struct esf_session *s);
int esf_cek_wrap(struct esf_session *s, u8 *cek, u8 *wrapped);
int esf_cek_unwrap(struct esf_session *s, const u8 *wrapped, u8 *cek);

#endif /* _ESF_CEK_H */
