/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The algorithms esf.ko offers, as user space needs to know them: the key
 * and tag sizes each accepts (the same rules as kmod/alg.c, which the VM
 * test esf_doctor.sh checks size by size against the loaded module), and
 * a key size for a throwaway session. esfctl checks sizes with it before
 * the kernel sees a request, so that an error names the algorithm and the
 * sizes it takes; esfctl doctor lists these algorithms.
 */
#ifndef ESF_ALGS_H
#define ESF_ALGS_H

#include <stdbool.h>
#include <stddef.h>

enum esf_alg_kind { ESF_ALGK_AEAD, ESF_ALGK_KW, ESF_ALGK_MIC };

struct esf_alg_desc {
	const char *name;		/* ESF_A_ALG, and the crypto API's name */
	enum esf_alg_kind kind;
	unsigned int digest_len;	/* MIC and authenc: the HMAC's digest */
	bool (*key_ok)(const struct esf_alg_desc *a, size_t len);
	bool (*tag_ok)(const struct esf_alg_desc *a, size_t len);
	unsigned int probe_key_len;	/* a length key_ok() accepts */
	/* The crypto API algorithm that does the session's work and whose
	 * provider ESF_A_DRIVER names: the same, except for kw(aes), whose
	 * records are sealed by a per-record gcm(aes) content key.
	 */
	const char *work_alg;
};

extern const struct esf_alg_desc esf_algs[];
extern const size_t esf_algs_count;

const struct esf_alg_desc *esf_alg_lookup(const char *name);
/* DTLS 1.2 framing (gcm(aes) only) takes 16-byte tags alone. */
bool esf_alg_tag_ok(const struct esf_alg_desc *a, size_t len, bool dtls12);
/* "16, 24 or 32-byte key" and the like, into @buf; returns @buf. */
const char *esf_alg_key_sizes(const struct esf_alg_desc *a, char *buf, size_t len);
const char *esf_alg_tag_sizes(const struct esf_alg_desc *a, bool dtls12, char *buf,
			      size_t len);
/* "gcm(aes), ccm(aes), ..." */
const char *esf_alg_names(char *buf, size_t len);

#endif /* ESF_ALGS_H */
