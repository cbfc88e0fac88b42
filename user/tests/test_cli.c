// SPDX-License-Identifier: GPL-2.0
/*
 * The esf tool's command line on the host: help texts, usage errors and
 * exit codes, and seal/open through every format on software sessions
 * (id 1: AEAD sender, 2: AEAD receiver, 3: HMAC).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kselftest_harness.h"
#include "support.h"
#include "../esftool/cli.h"

static int fake_open(uint32_t id, unsigned int data_class, unsigned int session_type,
		     struct esf_session **sp)
{
	struct sw_params p = { .alg = ESF_ALG_GCM_AES, .key = test_key, .key_len = 16,
			       .seq_start = 1, .key_id = "cli-kid" };

	memcpy(p.salt, test_salt, 4);
	if (id == 2)
		p.replay_window = 64;
	else if (id == 3)
		p = (struct sw_params){ .alg = ESF_ALG_HMAC_SHA256, .key = test_key,
					.key_len = 32, .key_id = "cli-kid" };
	else if (id != 1)
		return -ENOENT;
	*sp = sw_session(&p, data_class, session_type);
	return *sp ? 0 : -ENOMEM;
}

struct run {
	int code;
	char *out;
	size_t out_len;
	char *err;
	size_t err_len;
};

/* Run "esf ARGS..." with @in on stdin; NULL-terminated arguments. */
static struct run esf(const char *in, size_t in_len, ...)
{
	struct run r = { 0 };
	char *argv[32] = { "esf" };
	int argc = 1;
	va_list ap;
	FILE *fin = fmemopen((void *)(in ? in : ""), in ? in_len : 0, "r");
	FILE *fout = open_memstream(&r.out, &r.out_len);
	FILE *ferr = open_memstream(&r.err, &r.err_len);
	struct esf_cli_env env = { fake_open, fin, fout, ferr };

	va_start(ap, in_len);
	while (argc < 31 && (argv[argc] = va_arg(ap, char *)))
		argc++;
	va_end(ap);
	r.code = esf_cli_main(argc, argv, &env);
	fclose(fin);
	fclose(fout);
	fclose(ferr);
	return r;
}

static void done(struct run *r)
{
	free(r->out);
	free(r->err);
}

TEST(help_texts)
{
	struct run r = esf(NULL, 0, "--help", NULL);
	static const char *const formats[] = {
		"jwe-compact", "jwe-json", "jwe-flat", "jws-compact", "jws-json",
		"jws-flat", "esprim", "class1", "envelope", "class2", "class3",
	};

	EXPECT_EQ(ESF_EXIT_OK, r.code);
	EXPECT_NE(NULL, strstr(r.out, "EXIT STATUS"));
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
		EXPECT_NE(NULL, strstr(r.out, formats[i]));
	done(&r);
	r = esf(NULL, 0, "help", "seal", NULL);
	EXPECT_EQ(ESF_EXIT_OK, r.code);
	EXPECT_NE(NULL, strstr(r.out, "SYNOPSIS"));
	EXPECT_NE(NULL, strstr(r.out, "--ori ID"));
	done(&r);
	r = esf(NULL, 0, "open", "--help", NULL);
	EXPECT_EQ(ESF_EXIT_OK, r.code);
	EXPECT_NE(NULL, strstr(r.out, "esf open - "));
	EXPECT_NE(NULL, strstr(r.out, "--info"));
	done(&r);
	r = esf(NULL, 0, "help", "reseal", NULL);
	EXPECT_EQ(ESF_EXIT_OK, r.code);
	EXPECT_NE(NULL, strstr(r.out, "esf reseal - "));
	EXPECT_NE(NULL, strstr(r.out, "--in-ori"));
	done(&r);
	r = esf(NULL, 0, "--version", NULL);
	EXPECT_EQ(0, strncmp(r.out, "esf ", 4));
	done(&r);
	/* global options anywhere */
	r = esf(NULL, 0, "seal", "-s", "1", "--version", NULL);
	EXPECT_EQ(ESF_EXIT_OK, r.code);
	EXPECT_EQ(0, strncmp(r.out, "esf ", 4));
	done(&r);
	r = esf(NULL, 0, "--help", "open", NULL);
	EXPECT_EQ(ESF_EXIT_OK, r.code);
	EXPECT_NE(NULL, strstr(r.out, "esf open - "));
	done(&r);
	leak_check();
}

TEST(usage_errors)
{
	static const char *const cases[][8] = {
		{ NULL },
		{ "frobnicate", NULL },
		{ "help", "everything", NULL },
		{ "seal", NULL },
		{ "seal", "--format", "jwe-compact", NULL },
		{ "seal", "-s", "1", NULL },
		{ "seal", "-s", "0", "-f", "jwe-compact", NULL },
		{ "seal", "-s", "-1", "-f", "jwe-compact", NULL },
		{ "seal", "-s", "4294967296", "-f", "jwe-compact", NULL },
		{ "seal", "-s", "1x", "-f", "jwe-compact", NULL },
		{ "seal", "-s", "1", "-f", "jwe", NULL },
		{ "seal", "-s", "1", "-f", "jwe-compact", "-c", "4", NULL },
		{ "seal", "-s", "1", "-f", "jwe-compact", "-t", "s4", NULL },
		{ "seal", "-s", "1", "-f", "jwe-compact", "--ori", "o", NULL },
		{ "seal", "-s", "1", "-f", "esprim", "--ori", "o", NULL },
		{ "seal", "-s", "1", "-f", "class1", "--rri", "r", NULL },
		{ "seal", "-s", "1", "-f", "jwe-compact", "-j", "json", NULL },
		{ "seal", "-s", "1", "-f", "class3", "-j", "cbor", NULL },
		{ "seal", "-s", "1", "-f", "class2", "--cty", "x", NULL },
		{ "seal", "-s", "1", "-f", "envelope", NULL },
		{ "seal", "-s", "1", "-f", "jwe-compact", "extra", NULL },
		{ "seal", "-s", "1", "-f", "jwe-compact", "--bogus", NULL },
		{ "open", "-s", "2", "-f", "esprim", "--oro", "{}", NULL },
		{ "open", "-s", "2", "-f", "jwe-compact", "--cty", "x", NULL },
		{ "reseal", "-s", "2", "-f", "esprim", "--ori", "o", NULL },
		{ "reseal", "-s", "2", "--to", "1", "-f", "jwe-compact", NULL },
		{ "reseal", "-s", "2", "--to", "1", "-f", "class1", NULL },
		{ "reseal", "-s", "2", "--to", "0", "-f", "class1", NULL },
		{ "seal", "-s", "1", "-f", "esprim", "--to", "2", NULL },
		{ "open", "-s", "2", "-f", "esprim", "--in-ori", "o", NULL },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *const *a = cases[i];
		struct run r = esf("x", 1, a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7]);

		EXPECT_EQ(ESF_EXIT_USAGE, r.code) {
			TH_LOG("case %zu (%s %s %s): %s", i, a[0], a[1], a[2], r.err);
		}
		EXPECT_EQ(0, r.out_len);
		EXPECT_NE(NULL, strstr(r.err, "Usage:"));
		done(&r);
	}
	leak_check();
}

TEST(session_unavailable)
{
	struct run r = esf("x", 1, "seal", "-s", "99", "-f", "jwe-compact", NULL);

	EXPECT_EQ(ESF_EXIT_SESSION, r.code);
	EXPECT_NE(NULL, strstr(r.err, "session 99"));
	EXPECT_EQ(0, r.out_len);
	done(&r);
	/* Re-seal is the kernel's, on /dev/esf: not on another backend. */
	r = esf("x", 1, "reseal", "-s", "2", "--to", "1", "-f", "esprim", "--ori", "o", "--rri",
		"r", NULL);
	EXPECT_EQ(ESF_EXIT_SESSION, r.code);
	EXPECT_NE(NULL, strstr(r.err, "it needs /dev/esf")) TH_LOG("%s", r.err);
	EXPECT_EQ(0, r.out_len);
	done(&r);
	leak_check();
}

/* seal with session @tx, open with @rx; both in format @fmt. */
static void round_trip(struct __test_metadata *_metadata, const char *fmt,
		       const char *tx, const char *rx, const char *payload,
		       const char *extra1, const char *extra2)
{
	struct run s = esf(payload, strlen(payload), "seal", "-s", tx, "-f", fmt,
			   extra1, extra2, NULL);
	struct run o;

	ASSERT_EQ(ESF_EXIT_OK, s.code) {
		TH_LOG("%s: %s", fmt, s.err);
	}
	ASSERT_EQ('\n', s.out[s.out_len - 1]);
	o = esf(s.out, s.out_len, "open", "-s", rx, "-f", fmt, extra1, extra2, NULL);
	ASSERT_EQ(ESF_EXIT_OK, o.code) {
		TH_LOG("%s: %s", fmt, o.err);
	}
	EXPECT_EQ(strlen(payload), o.out_len);
	EXPECT_EQ(0, memcmp(o.out, payload, o.out_len)) {
		TH_LOG("%s: %.*s", fmt, (int)o.out_len, o.out);
	}
	done(&s);
	done(&o);
}

TEST(every_format_round_trips)
{
	static const char prim[] = "{\"op\":2,\"to\":\"//sp/cse/cnt\",\"fr\":\"Cae\",\"rqi\":\"7\"}";
	static const char cprim[] = "{\"op\":1,\"fr\":\"Cae\",\"rqi\":\"8\",\"ty\":4,\"pc\":{\"m2m:cin\":{\"con\":\"1\"}}}";
	static const char cin[] = "{\"con\":\"21.5\",\"cnf\":\"text/plain:0\"}";

	round_trip(_metadata, "jwe-compact", "1", "2", "hello", NULL, NULL);
	round_trip(_metadata, "jwe-json", "1", "2", "hello", NULL, NULL);
	round_trip(_metadata, "jwe-flat", "1", "2", "", NULL, NULL);
	round_trip(_metadata, "jws-compact", "3", "3", "signed", NULL, NULL);
	round_trip(_metadata, "jws-json", "3", "3", "signed", NULL, NULL);
	round_trip(_metadata, "jws-flat", "3", "3", "signed", NULL, NULL);
	round_trip(_metadata, "esprim", "1", "2", "data", "--ori=o-1", "--rri=r-1");
	round_trip(_metadata, "class1", "1", "2", prim, "--ori=o-1", "--rri=r-1");
	round_trip(_metadata, "envelope", "1", "2", "x", "--class=2", "--type=sm");
	round_trip(_metadata, "envelope", "3", "3", "x", "--class=3", "--jose=json");
	round_trip(_metadata, "class2", "1", "2", cprim, "--jose=flat", NULL);
	round_trip(_metadata, "class3", "1", "2", cin, "-j", "json");
	round_trip(_metadata, "class3", "3", "3", cin, NULL, NULL);
	leak_check();
}

TEST(open_refusals_name_the_code)
{
	struct run s = esf("hello", 5, "seal", "-s", "1", "-f", "jwe-compact", NULL);
	struct run o;
	char *bad = strndup(s.out, s.out_len);

	/* last character of the tag changed */
	bad[s.out_len - 2] = bad[s.out_len - 2] == 'A' ? 'Q' : 'A';
	o = esf(bad, strlen(bad), "open", "-s", "2", "-f", "jwe-compact", NULL);
	EXPECT_EQ(ESF_EXIT_REJECTED, o.code);
	EXPECT_EQ(0, o.out_len);
	EXPECT_NE(NULL, strstr(o.err, "4115 ESPRIM_BAD_MAC")) {
		TH_LOG("%s", o.err);
	}
	done(&o);
	/* the right object, but expected as JSON */
	o = esf(s.out, s.out_len, "open", "-s", "2", "-f", "jwe-json", NULL);
	EXPECT_EQ(ESF_EXIT_REJECTED, o.code);
	EXPECT_EQ(0, o.out_len);
	done(&o);
	/* a JWE asked of a MIC session */
	o = esf("x", 1, "seal", "-s", "3", "-f", "jwe-compact", NULL);
	EXPECT_EQ(ESF_EXIT_REJECTED, o.code);
	EXPECT_NE(NULL, strstr(o.err, "4111"));
	done(&o);
	/* wrong rand id */
	done(&s);
	s = esf("d", 1, "seal", "-s", "1", "-f", "esprim", "--ori", "o-1", "--rri", "r-1", NULL);
	o = esf(s.out, s.out_len, "open", "-s", "2", "-f", "esprim", "--ori", "o-2", NULL);
	EXPECT_EQ(ESF_EXIT_REJECTED, o.code);
	EXPECT_NE(NULL, strstr(o.err, "4113 ESPRIM_UNKNOWN_ORIG_RAND_ID"));
	done(&o);
	o = esf(s.out, s.out_len, "open", "-s", "2", "-f", "esprim", "--info", NULL);
	EXPECT_EQ(ESF_EXIT_OK, o.code);
	EXPECT_NE(NULL, strstr(o.err, "ori: o-1\nrri: r-1\n"));
	done(&o);
	done(&s);
	free(bad);
	leak_check();
}

TEST(input_too_large)
{
	size_t n = ESF_MAX_DATA + 1;
	char *big = malloc(n);
	struct run r;

	memset(big, 'a', n);
	r = esf(big, n, "seal", "-s", "1", "-f", "jwe-compact", NULL);
	EXPECT_EQ(ESF_EXIT_REJECTED, r.code);
	EXPECT_NE(NULL, strstr(r.err, "input too large: seal takes a payload of at most 65536 bytes"))
		TH_LOG("%s", r.err);
	EXPECT_EQ(0, r.out_len);
	done(&r);
	free(big);
	leak_check();
}

/*
 * esf aggregate: --split takes an opened aggregate apart, a plaintext a
 * line, and refuses what is not one; the aggregate itself needs /dev/esf
 * (a software session refuses it) and inputs of its --from sessions.
 */
TEST(aggregate_split_and_refusals)
{
	static const char framed[] = "\0\0\0\3abc\0\0\0\0\0\0\0\2hi";
	static const char cut[] = "\0\0\0\5abc";
	static const char nl[] = "\0\0\0\3a\nc";
	struct run r;

	r = esf(framed, sizeof(framed) - 1, "aggregate", "--split", NULL);
	EXPECT_EQ(ESF_EXIT_OK, r.code);
	ASSERT_EQ(8, r.out_len);
	EXPECT_EQ(0, memcmp(r.out, "abc\n\nhi\n", 8));
	done(&r);
	r = esf(cut, sizeof(cut) - 1, "aggregate", "--split", NULL);
	EXPECT_EQ(ESF_EXIT_REJECTED, r.code);
	EXPECT_NE(NULL, strstr(r.err, "not an aggregate's payload"));
	EXPECT_EQ(0, r.out_len);
	done(&r);
	r = esf(nl, sizeof(nl) - 1, "aggregate", "--split", NULL);
	EXPECT_EQ(ESF_EXIT_REJECTED, r.code);
	EXPECT_NE(NULL, strstr(r.err, "holds a newline"));
	done(&r);
	r = esf("2 x", 3, "aggregate", "-s", "1", NULL);
	EXPECT_EQ(ESF_EXIT_USAGE, r.code);
	EXPECT_NE(NULL, strstr(r.err, "Try 'esf help aggregate'"));
	done(&r);
	r = esf("2 x", 3, "aggregate", "--split", "-s", "1", NULL);
	EXPECT_EQ(ESF_EXIT_USAGE, r.code);
	done(&r);
	r = esf("3 x", 3, "aggregate", "-s", "1", "--from", "2", NULL);
	EXPECT_EQ(ESF_EXIT_USAGE, r.code);
	EXPECT_NE(NULL, strstr(r.err, "not a --from session"));
	done(&r);
	r = esf("2 x", 3, "aggregate", "-s", "1", "--from", "2", "-c", "4", NULL);
	EXPECT_EQ(ESF_EXIT_USAGE, r.code);
	done(&r);
	/* A software session is no /dev/esf handle. */
	r = esf("2 x", 3, "aggregate", "-s", "1", "--from", "2", NULL);
	EXPECT_EQ(ESF_EXIT_SESSION, r.code);
	EXPECT_NE(NULL, strstr(r.err, "aggregates need /dev/esf"));
	EXPECT_EQ(0, r.out_len);
	done(&r);
	leak_check();
}

TEST_HARNESS_MAIN
