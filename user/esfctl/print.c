// SPDX-License-Identifier: GPL-2.0
/*
 * How esfctl shows a session, for people and (--json) for programs. Both
 * show the same fields under the same names.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "esfctl.h"

static const char *const direction_names[] = { "?", "seal", "open", "both" };
static const char *const type_names[] = { "none", "s1", "s2", "sm" };
static const char *const nonce_policy_names[] = { "?", "esf", "any" };
static const char *const framing_names[] = { "?", "nonce", "dtls12" };
static const char *const state_names[] = { "?", "active", "soft-expired", "expired" };
static const char *const reason_names[] = { "?", "messages", "bytes", "seconds", "sequence" };

#define NAME(tab, i) ((i) < sizeof(tab) / sizeof(tab[0]) ? tab[i] : "?")

const char *esfctl_state_name(unsigned int state)
{
	return NAME(state_names, state);
}

const char *esfctl_expire_reason_name(unsigned int reason)
{
	return NAME(reason_names, reason);
}

static const struct {
	int attr;
	const char *name;
} stat_names[] = {
	{ ESF_STATS_A_SEAL, "seal" },
	{ ESF_STATS_A_OPEN, "open" },
	{ ESF_STATS_A_SIGN, "sign" },
	{ ESF_STATS_A_VERIFY, "verify" },
	{ ESF_STATS_A_BYTES, "bytes" },
	{ ESF_STATS_A_AUTH_FAIL, "auth_fail" },
	{ ESF_STATS_A_REPLAY, "replay" },
	{ ESF_STATS_A_TOO_OLD, "too_old" },
	{ ESF_STATS_A_EXPIRED, "expired" },
	{ ESF_STATS_A_REFUSED, "refused" },
	{ ESF_STATS_A_ERRORS, "errors" },
	{ ESF_STATS_A_EXPIRE_EVENTS, "expire_events" },
	{ ESF_STATS_A_ASYNC, "async" },
	{ ESF_STATS_A_BACKLOG, "backlog" },
	{ ESF_STATS_A_ZEROCOPY, "zerocopy" },
	{ ESF_STATS_A_FOREIGN, "foreign" },
	{ ESF_STATS_A_REPLAY_EVICTED, "replay_evicted" },
	{ ESF_STATS_A_SOCKET, "socket" },
	{ ESF_STATS_A_DEVICE, "device" },
	{ ESF_STATS_A_RESEAL, "reseal" },
	{ ESF_STATS_A_AGGREGATE, "aggregate" },
};

#define N_STATS (sizeof(stat_names) / sizeof(stat_names[0]))

static void hex(char *out, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", p[i]);
	out[2 * n] = '\0';
}

/* A key id is shown as text when it is printable, else as hex. */
static bool printable(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] < 0x20 || p[i] > 0x7e)
			return false;
	return true;
}

static json_t *lifetime_json(const struct esf_nl_lifetime *lt)
{
	return json_pack("{s:I,s:I,s:I}", "messages", (json_int_t)lt->messages,
			 "bytes", (json_int_t)lt->bytes, "seconds", (json_int_t)lt->seconds);
}

static json_t *group_json(const struct esf_nl_group *g)
{
	char buf[2 * ESF_SALT_LEN + 1];
	json_t *o = json_pack("{s:I,s:I,s:I,s:I}", "senders", (json_int_t)g->senders,
			      "sender", (json_int_t)g->sender, "epoch", (json_int_t)g->epoch,
			      "senders_seen", (json_int_t)g->senders_seen);

	if (g->has_next) {
		hex(buf, g->salt_next, ESF_SALT_LEN);
		json_object_set_new(o, "next", json_pack("{s:I,s:s}", "epoch",
							 (json_int_t)g->epoch_next, "salt", buf));
	}
	if (g->has_prev) {
		hex(buf, g->salt_prev, ESF_SALT_LEN);
		json_object_set_new(o, "previous", json_pack("{s:I,s:s}", "epoch",
							     (json_int_t)g->epoch_prev, "salt", buf));
	}
	return o;
}

/* Group sessions: who this member is, which epochs it holds. */
static void print_group(const struct esf_nl_session *s)
{
	const struct esf_nl_group *g = &s->group;
	char buf[2 * ESF_SALT_LEN + 1];

	printf("  %-15s sender %u of %u, %" PRIu32 " senders seen (window %" PRIu32
	       " each)\n", "group", g->sender, g->senders, g->senders_seen, s->replay_window);
	hex(buf, s->salt, ESF_SALT_LEN);
	printf("  %-15s current %" PRIu32 " (salt %s)", "epochs", g->epoch, buf);
	if (g->has_next) {
		hex(buf, g->salt_next, ESF_SALT_LEN);
		printf(", next %" PRIu32 " (salt %s)", g->epoch_next, buf);
	}
	if (g->has_prev) {
		hex(buf, g->salt_prev, ESF_SALT_LEN);
		printf(", previous %" PRIu32 " (salt %s)", g->epoch_prev, buf);
	}
	printf("\n");
}

json_t *esfctl_session_json(const struct esf_nl_session *s)
{
	char buf[2 * ESF_KEY_ID_MAX + 1];
	json_t *o, *stats = json_object();
	size_t i;

	o = json_pack("{s:I,s:s,s:s,s:I,s:s,s:I,s:I,s:s,s:I,s:I,s:s,s:I,s:s,s:I,s:I,s:I,s:I,s:I,"
		      "s:b,s:b,s:b,s:b}",
		      "id", (json_int_t)s->id, "alg", s->alg, "driver", s->driver,
		      "key_len", (json_int_t)s->key_len,
		      "direction", NAME(direction_names, s->direction),
		      "tag_len", (json_int_t)s->tag_len,
		      "replay_window", (json_int_t)s->replay_window,
		      "nonce_policy", NAME(nonce_policy_names, s->nonce_policy),
		      "replay_remembered", (json_int_t)s->replay_remembered,
		      "replay_memory", (json_int_t)s->replay_memory,
		      "session_type", NAME(type_names, s->session_type),
		      "data_class", (json_int_t)s->data_class,
		      "state", esfctl_state_name(s->state),
		      "seq_start", (json_int_t)s->seq_start,
		      "seq_next", (json_int_t)s->seq_next,
		      "age", (json_int_t)s->age,
		      "owner_uid", (json_int_t)s->owner_uid,
		      "owner_gid", (json_int_t)s->owner_gid,
		      "async", !!(s->provider & ESF_PROVIDER_ASYNC),
		      "hardware", !!(s->provider & ESF_PROVIDER_HW),
		      "pinned", !!(s->provider & ESF_PROVIDER_PINNED),
		      "require_hw", !!(s->flags & ESF_F_REQUIRE_HW));
	if (s->has_salt) {
		hex(buf, s->salt, ESF_SALT_LEN);
		json_object_set_new(o, "salt", json_string(buf));
	}
	if (s->cek_len)
		json_object_set_new(o, "cek_len", json_integer(s->cek_len));
	if (s->framing)
		json_object_set_new(o, "framing", json_string(NAME(framing_names, s->framing)));
	if (s->key_id_len) {
		hex(buf, s->key_id, s->key_id_len);
		json_object_set_new(o, "key_id_hex", json_string(buf));
		if (printable(s->key_id, s->key_id_len))
			json_object_set_new(o, "key_id", json_stringn((const char *)s->key_id,
								       s->key_id_len));
	}
	if (s->group.is_group)
		json_object_set_new(o, "group", group_json(&s->group));
	json_object_set_new(o, "lifetime_soft", lifetime_json(&s->soft));
	json_object_set_new(o, "lifetime_hard", lifetime_json(&s->hard));
	json_object_set_new(o, "usage", lifetime_json(&s->usage));
	for (i = 0; i < N_STATS; i++)
		json_object_set_new(stats, stat_names[i].name,
				    json_integer((json_int_t)s->stats[stat_names[i].attr]));
	json_object_set_new(o, "stats", stats);
	return o;
}

static void print_lifetime(const char *what, const struct esf_nl_lifetime *lt)
{
	if (!lt->messages && !lt->bytes && !lt->seconds) {
		printf("  %-15s none\n", what);
		return;
	}
	printf("  %-15s messages %" PRIu64 ", bytes %" PRIu64 ", seconds %" PRIu64 "\n",
	       what, lt->messages, lt->bytes, lt->seconds);
}

void esfctl_session_print(const struct esf_nl_session *s)
{
	char buf[2 * ESF_KEY_ID_MAX + 1];
	size_t i;

	printf("session %" PRIu32 "\n", s->id);
	printf("  %-15s %s%s\n", "algorithm", s->alg,
	       s->framing == ESF_FRAMING_DTLS12 ? ", DTLS 1.2 records" : "");
	printf("  %-15s %s (%s%s%s)\n", "driver", s->driver,
	       s->provider & ESF_PROVIDER_HW ? "hardware" : "cpu",
	       s->provider & ESF_PROVIDER_ASYNC ? ", async" : "",
	       s->provider & ESF_PROVIDER_PINNED ? ", pinned" : "");
	printf("  %-15s %s\n", "state", esfctl_state_name(s->state));
	if (s->cek_len)
		printf("  %-15s %" PRIu32 " bytes (key-encryption key), content keys %u bytes, "
		       "tag %u bytes\n", "key", s->key_len, s->cek_len, s->tag_len);
	else
		printf("  %-15s %" PRIu32 " bytes, tag %u bytes\n", "key", s->key_len, s->tag_len);
	if (s->has_salt) {
		hex(buf, s->salt, ESF_SALT_LEN);
		printf("  %-15s %s\n", "salt", buf);
	}
	if (s->key_id_len) {
		if (printable(s->key_id, s->key_id_len))
			printf("  %-15s %.*s\n", "key id", (int)s->key_id_len, s->key_id);
		else {
			hex(buf, s->key_id, s->key_id_len);
			printf("  %-15s %s (hex)\n", "key id", buf);
		}
	}
	printf("  %-15s %s, session type %s, data class %u\n", "use",
	       NAME(direction_names, s->direction), NAME(type_names, s->session_type),
	       s->data_class);
	printf("  %-15s uid %" PRIu32 ", gid %" PRIu32 "%s\n", "owner", s->owner_uid,
	       s->owner_gid, s->flags & ESF_F_REQUIRE_HW ? ", require-hw" : "");
	if (s->nonce_policy == ESF_NONCE_ANY)
		printf("  %-15s nonce policy any, record of %" PRIu32 " nonces (%" PRIu32
		       " held, %" PRIu32 " bytes), next seq %" PRIu64 "\n", "replay/seq",
		       s->replay_window, s->replay_remembered, s->replay_memory, s->seq_next);
	else
		printf("  %-15s nonce policy esf, window %" PRIu32 " (%" PRIu32 " bytes), next seq %"
		       PRIu64 " (started at %" PRIu64 ")\n", "replay/seq", s->replay_window,
		       s->replay_memory, s->seq_next, s->seq_start);
	if (s->group.is_group)
		print_group(s);
	printf("  %-15s %" PRIu64 " s\n", "age", s->age);
	/* Which front ends the session's users are on (docs/fast-path.md). */
	printf("  %-15s socket %" PRIu64 ", device %" PRIu64 " records\n", "front ends",
	       s->stats[ESF_STATS_A_SOCKET], s->stats[ESF_STATS_A_DEVICE]);
	print_lifetime("soft lifetime", &s->soft);
	print_lifetime("hard lifetime", &s->hard);
	print_lifetime("usage", &s->usage);
	printf("  %-15s", "counters");
	for (i = 0; i < N_STATS; i++)
		printf("%s %s %" PRIu64, i ? "," : "", stat_names[i].name,
		       s->stats[stat_names[i].attr]);
	printf("\n");
}

void esfctl_list_header(void)
{
	printf("%-10s %-32s %-40s %-4s %-12s %12s %12s %8s\n", "ID", "ALGORITHM", "DRIVER",
	       "HW", "STATE", "SEAL/SIGN", "OPEN/VERIFY", "FAILS");
}

void esfctl_list_row(const struct esf_nl_session *s)
{
	printf("%-10" PRIu32 " %-32s %-40s %-4s %-12s %12" PRIu64 " %12" PRIu64 " %8" PRIu64 "\n",
	       s->id, s->alg, s->driver, s->provider & ESF_PROVIDER_HW ? "yes" : "no",
	       esfctl_state_name(s->state),
	       s->stats[ESF_STATS_A_SEAL] + s->stats[ESF_STATS_A_SIGN],
	       s->stats[ESF_STATS_A_OPEN] + s->stats[ESF_STATS_A_VERIFY],
	       s->stats[ESF_STATS_A_AUTH_FAIL] + s->stats[ESF_STATS_A_REPLAY] +
	       s->stats[ESF_STATS_A_TOO_OLD] + s->stats[ESF_STATS_A_FOREIGN]);
}
