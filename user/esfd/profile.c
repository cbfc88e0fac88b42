// SPDX-License-Identifier: GPL-2.0
/*
 * Security profiles (oneM2M TR-0012 7.5): named sets of what a policy may
 * choose (algorithms, key sizes, tag lengths, lifetimes, nonce policies).
 * A [policy] names one with "profile"; a [peer] names one for all its
 * target data classes or per class. The configuration parser checks each
 * policy against every profile that applies to it and refuses one that
 * breaks it, saying what and where (config.c). The table is esf's reading
 * of the report: it names its levels, not their figures, so the figures
 * below are esf's choices, documented in docs/esfd.conf.md.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

#define AEAD(a)		(1u << (a))
#define KEY_128		(1u << 0)
#define KEY_192		(1u << 1)
#define KEY_256		(1u << 2)
#define NONCE(n)	(1u << (n))
#define HOUR		3600ULL
#define DAY		(24 * HOUR)

static const struct esfd_profile profiles[] = {
	{
		.name = "baseline",
		.about = "any algorithm esf offers, integrity-only classes 2 and 3 too; hard "
			 "lifetime at most 30 days",
		.aeads = AEAD(ESFD_AEAD_GCM) | AEAD(ESFD_AEAD_CCM) | AEAD(ESFD_AEAD_RFC4106) |
			 AEAD(ESFD_AEAD_AUTHENC) | AEAD(ESFD_AEAD_HMAC),
		.key_bits = KEY_128 | KEY_192 | KEY_256,
		.min_tag = 8,
		.max_hard_seconds = 30 * DAY,
		.nonces = NONCE(ESF_NONCE_ESF) | NONCE(ESF_NONCE_ANY),
	},
	{
		.name = "standard",
		.about = "AES-GCM or AES-CCM, 128 or 256-bit keys, full tags, a key a day",
		.aeads = AEAD(ESFD_AEAD_GCM) | AEAD(ESFD_AEAD_CCM),
		.key_bits = KEY_128 | KEY_256,
		.min_tag = 16,
		.max_hard_seconds = DAY,
		.max_hard_messages = 1ULL << 32,
		.max_hard_bytes = 1ULL << 36,
		.nonces = NONCE(ESF_NONCE_ESF) | NONCE(ESF_NONCE_ANY),
	},
	{
		.name = "high",
		.about = "AES-256-GCM, full tags, esf nonces only, a key an hour",
		.aeads = AEAD(ESFD_AEAD_GCM),
		.key_bits = KEY_256,
		.min_tag = 16,
		.max_hard_seconds = HOUR,
		.max_hard_messages = 1ULL << 24,
		.max_hard_bytes = 1ULL << 32,
		.nonces = NONCE(ESF_NONCE_ESF),
	},
	{
		.name = "constrained",
		.about = "AES-128-CCM or -GCM for small devices, tags of 8 bytes or more, a key a week",
		.aeads = AEAD(ESFD_AEAD_GCM) | AEAD(ESFD_AEAD_CCM),
		.key_bits = KEY_128,
		.min_tag = 8,
		.max_hard_seconds = 7 * DAY,
		.nonces = NONCE(ESF_NONCE_ESF) | NONCE(ESF_NONCE_ANY),
	},
};

#define N_PROFILES (sizeof(profiles) / sizeof(profiles[0]))

const struct esfd_profile *esfd_profile_find(const char *name)
{
	size_t i;

	for (i = 0; i < N_PROFILES; i++)
		if (!strcmp(profiles[i].name, name))
			return &profiles[i];
	return NULL;
}

const struct esfd_profile *esfd_profile_at(size_t i)
{
	return i < N_PROFILES ? &profiles[i] : NULL;
}

static unsigned int key_bit(unsigned int bits)
{
	return bits == 128 ? KEY_128 : bits == 192 ? KEY_192 : bits == 256 ? KEY_256 : 0;
}

/* A hard limit the profile caps: set (0 is none) and within the cap. */
static int over(char *why, size_t n, const char *what, uint64_t have, uint64_t cap)
{
	if (!cap || (have && have <= cap))
		return 0;
	if (!have)
		snprintf(why, n, "lifetime-hard-%s is unlimited; the profile allows at most %llu",
			 what, (unsigned long long)cap);
	else
		snprintf(why, n, "lifetime-hard-%s %llu is over the profile's %llu", what,
			 (unsigned long long)have, (unsigned long long)cap);
	return -1;
}

int esfd_profile_check(const struct esfd_profile *pr, const struct esfd_policy *pol,
		       char *why, size_t n)
{
	if (!(pr->aeads & AEAD(pol->aead))) {
		snprintf(why, n, "aead %s is not one the profile allows", esfd_aead_name(pol->aead));
		return -1;
	}
	if (!(pr->key_bits & key_bit(pol->key_bits))) {
		snprintf(why, n, "key-size %u is not one the profile allows", pol->key_bits);
		return -1;
	}
	if (pol->tag_len < pr->min_tag) {
		snprintf(why, n, "tag-length %u is below the profile's %u", pol->tag_len,
			 pr->min_tag);
		return -1;
	}
	if (!(pr->nonces & NONCE(pol->nonce_policy))) {
		snprintf(why, n, "nonce-policy %s is not one the profile allows",
			 pol->nonce_policy == ESF_NONCE_ANY ? "any" : "esf");
		return -1;
	}
	if (over(why, n, "seconds", pol->hard.seconds, pr->max_hard_seconds) ||
	    over(why, n, "messages", pol->hard.messages, pr->max_hard_messages) ||
	    over(why, n, "bytes", pol->hard.bytes, pr->max_hard_bytes))
		return -1;
	return 0;
}
