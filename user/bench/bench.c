// SPDX-License-Identifier: GPL-2.0
/*
 * esf-bench: SEAL/OPEN throughput of the esf fast path, side by side with
 * what a gateway would use instead, on the same algorithm and key size:
 *
 *   esf        one record per esf_seal()/esf_open() call
 *   esf-batch  --batch records per esf_batch() round trip
 *   afalg      the stock AF_ALG "aead" socket through libkcapi, sendmsg and
 *              read per operation (what algif_aead offers)
 *   openssl    OpenSSL EVP in user space, one context kept with its key
 *              schedule, a new IV per operation (the best case)
 *   openssl-init  OpenSSL EVP set up per operation: a new context keyed
 *              for each message, as a one-shot seal(key, iv, aad, text)
 *              function does
 *   kernel     crypto_aead_encrypt() in a loop in the kernel on the session's
 *              own transform (ESF_CMD_SESSION_BENCH, CAP_NET_ADMIN): the
 *              crypto API's limit, SEAL only
 *
 * The esf paths use an existing kernel session (created by esfctl or
 * esfd); the others get a random key of the session's key length. Each
 * measurement runs for --seconds of wall time; under QEMU's -icount that
 * is guest time, which follows instruction counts, so runs repeat.
 */
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include <jansson.h>
#include <kcapi.h>
#include <openssl/evp.h>

#include "esf.h"
#include "esf_nl.h"

#define MAX_SIZES 16
#define GCM_IV 12
#define GCM_TAG 16

enum path { P_ESF, P_BATCH, P_AFALG, P_OPENSSL, P_OPENSSL_INIT, P_KERNEL, P_NUM };
static const char *const path_names[P_NUM] = { "esf", "esf-batch", "afalg", "openssl",
					       "openssl-init", "kernel" };

struct opts {
	uint32_t session;
	bool paths[P_NUM];
	bool seal, open;
	size_t sizes[MAX_SIZES];
	unsigned int nsizes;
	size_t aad_len;
	unsigned int batch;
	double seconds;
	const char *csv, *json;
	bool paths_given;
	struct esf_nl *nl;	/* for the kernel path */
};

struct result {
	const char *path;
	const char *op;
	size_t size;
	unsigned int batch;	/* records per call */
	double ops, seconds, cpu;
	const char *driver;
};

/* One measurement's buffers: @n records of @size bytes, sealed in @rec. */
struct work {
	size_t size, aad_len, rec_len;
	unsigned int n;
	uint8_t *aad, *in, *rec, *out;
	struct esf_op *ops;
};

static double now(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);

	if (!p) {
		fprintf(stderr, "esf-bench: out of memory\n");
		exit(1);
	}
	return p;
}

static void rnd(void *p, size_t n)
{
	uint8_t *b = p;

	while (n) {
		ssize_t r = getrandom(b, n, 0);

		if (r < 0)
			r = 0;
		b += r;
		n -= (size_t)r;
	}
}

/* The step a path takes: one call, @per records. Returns 0 or -errno. */
typedef int (*step_fn)(void *ctx, struct work *w, bool seal);

static int measure(step_fn fn, void *ctx, struct work *w, bool seal, unsigned int per,
		   double seconds, struct result *r)
{
	double t0 = now(CLOCK_MONOTONIC), c0 = now(CLOCK_PROCESS_CPUTIME_ID), t;
	uint64_t calls = 0;
	int err;

	/* Whole calls only; check the clock every call (cheap next to a
	 * system call, and the same for every path).
	 */
	do {
		err = fn(ctx, w, seal);
		if (err)
			return err;
		calls++;
		t = now(CLOCK_MONOTONIC);
	} while (t - t0 < seconds);
	r->ops = (double)(calls * per);
	r->seconds = t - t0;
	r->cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	r->batch = per;
	return 0;
}

/* esf, one record per call --------------------------------------------- */

static int esf_step(void *ctx, struct work *w, bool seal)
{
	struct esf_session *s = ctx;
	ssize_t n;

	if (seal)
		n = esf_seal(s, w->aad, w->aad_len, w->in, w->size, w->out, w->rec_len, NULL);
	else
		n = esf_open(s, w->aad, w->aad_len, w->rec, w->rec_len, w->out, w->rec_len, NULL);
	return n < 0 ? (int)n : 0;
}

/* esf, a batch per call -------------------------------------------------- */

static int batch_step(void *ctx, struct work *w, bool seal)
{
	unsigned int i;
	int err;

	for (i = 0; i < w->n; i++) {
		struct esf_op *op = &w->ops[i];

		*op = (struct esf_op){
			.op = seal ? ESF_OP_SEAL : ESF_OP_OPEN,
			.aad = w->aad, .aad_len = w->aad_len,
			.in = seal ? w->in : w->rec, .in_len = seal ? w->size : w->rec_len,
			.out = w->out + (size_t)i * w->rec_len, .out_size = w->rec_len,
		};
	}
	err = esf_batch(ctx, w->ops, w->n);
	for (i = 0; !err && i < w->n; i++)
		err = w->ops[i].status;
	return err;
}

/* Raw AF_ALG through libkcapi -------------------------------------------- */

struct afalg {
	struct kcapi_handle *h;
	uint8_t iv[GCM_IV];
	uint8_t *buf;		/* AAD || text (|| tag): libkcapi's layout */
	size_t buf_len;
};

static int afalg_step(void *ctx, struct work *w, bool seal)
{
	struct afalg *a = ctx;
	ssize_t n;

	if (seal) {
		n = kcapi_aead_encrypt(a->h, a->buf, w->aad_len + w->size, a->iv, a->buf,
				       a->buf_len, KCAPI_ACCESS_SENDMSG);
	} else {
		n = kcapi_aead_decrypt(a->h, a->buf, a->buf_len, a->iv, w->out,
				       w->aad_len + w->size, KCAPI_ACCESS_SENDMSG);
	}
	return n < 0 ? (int)n : 0;
}

static int afalg_setup(struct afalg *a, struct work *w, const uint8_t *key, size_t key_len)
{
	int err;

	err = kcapi_aead_init(&a->h, "gcm(aes)", 0);
	if (!err)
		err = kcapi_aead_setkey(a->h, key, (uint32_t)key_len);
	if (!err)
		err = kcapi_aead_settaglen(a->h, GCM_TAG);
	if (err)
		return err;
	kcapi_aead_setassoclen(a->h, w->aad_len);
	a->buf_len = w->aad_len + w->size + GCM_TAG;
	a->buf = xmalloc(a->buf_len);
	memcpy(a->buf, w->aad, w->aad_len);
	memcpy(a->buf + w->aad_len, w->in, w->size);
	rnd(a->iv, sizeof(a->iv));
	/* Something to decrypt: encrypt once in place. */
	return afalg_step(a, w, true);
}

/* OpenSSL EVP ------------------------------------------------------------ */

struct evp {
	EVP_CIPHER_CTX *c;
	const EVP_CIPHER *cipher;
	uint8_t key[32];
	uint8_t iv[GCM_IV], tag[GCM_TAG];
	uint8_t *ct;
};

static int evp_run(struct evp *e, struct work *w, bool seal)
{
	int len, ok;

	ok = EVP_CipherInit_ex(e->c, NULL, NULL, NULL, e->iv, seal) &&
	     EVP_CipherUpdate(e->c, NULL, &len, w->aad, (int)w->aad_len);
	if (seal) {
		ok = ok && EVP_CipherUpdate(e->c, e->ct, &len, w->in, (int)w->size) &&
		     EVP_CipherFinal_ex(e->c, e->ct + len, &len) &&
		     EVP_CIPHER_CTX_ctrl(e->c, EVP_CTRL_GCM_GET_TAG, GCM_TAG, e->tag);
	} else {
		ok = ok && EVP_CipherUpdate(e->c, w->out, &len, e->ct, (int)w->size) &&
		     EVP_CIPHER_CTX_ctrl(e->c, EVP_CTRL_GCM_SET_TAG, GCM_TAG, e->tag) &&
		     EVP_CipherFinal_ex(e->c, w->out + len, &len);
	}
	return ok ? 0 : -EBADMSG;
}

static int evp_step(void *ctx, struct work *w, bool seal)
{
	return evp_run(ctx, w, seal);
}

/* Everything per message: context, cipher and key schedule, then free. */
static int evp_init_step(void *ctx, struct work *w, bool seal)
{
	struct evp *e = ctx;
	EVP_CIPHER_CTX *keep = e->c;
	int err = -ENOMEM;

	e->c = EVP_CIPHER_CTX_new();
	if (e->c && EVP_CipherInit_ex(e->c, e->cipher, NULL, e->key, NULL, seal))
		err = evp_run(e, w, seal);
	else if (e->c)
		err = -EINVAL;
	EVP_CIPHER_CTX_free(e->c);
	e->c = keep;
	return err;
}

static int evp_setup(struct evp *e, struct work *w, const uint8_t *key, size_t key_len)
{
	e->cipher = key_len == 16 ? EVP_aes_128_gcm() :
		    key_len == 24 ? EVP_aes_192_gcm() : EVP_aes_256_gcm();
	memcpy(e->key, key, key_len);
	e->c = EVP_CIPHER_CTX_new();
	e->ct = xmalloc(w->size + 16);
	rnd(e->iv, sizeof(e->iv));
	if (!e->c || !EVP_CipherInit_ex(e->c, e->cipher, NULL, key, NULL, 1))
		return -EINVAL;
	return evp_run(e, w, true);
}

/* Driving one size -------------------------------------------------------- */

static void work_init(struct work *w, size_t size, size_t aad_len, unsigned int n,
		      size_t overhead)
{
	w->size = size;
	w->aad_len = aad_len;
	w->rec_len = size + overhead;
	w->n = n;
	w->aad = xmalloc(aad_len);
	w->in = xmalloc(size);
	w->rec = xmalloc(w->rec_len);
	/* Room for libkcapi's AAD || plaintext too. */
	w->out = xmalloc((size_t)n * w->rec_len + aad_len);
	w->ops = xmalloc(n * sizeof(*w->ops));
	rnd(w->aad, aad_len);
	rnd(w->in, size);
}

static void work_free(struct work *w)
{
	free(w->aad);
	free(w->in);
	free(w->rec);
	free(w->out);
	free(w->ops);
}

/* The most records of @size a batch may hold: the kernel takes at most
 * SO_SNDBUF bytes of framing per batch (see docs/fast-path.md).
 */
static unsigned int fit_batch(struct esf_session *s, struct work *w, unsigned int want)
{
	while (want > 1) {
		int err;

		w->n = want;
		err = batch_step(s, w, true);
		if (err != -EMSGSIZE)
			break;
		want /= 2;
	}
	return want;
}

static void report(const struct result *r, FILE *csv, json_t *arr)
{
	double ops = r->ops / r->seconds;
	double mbs = ops * (double)r->size / 1e6;
	double cpu_us = r->cpu / r->ops * 1e6;

	printf("%-10s %-5s %6zu %6u %12.0f %10.2f %10.3f  %s\n", r->path, r->op, r->size,
	       r->batch, ops, mbs, cpu_us, r->driver);
	fflush(stdout);
	if (csv)
		fprintf(csv, "%s,%s,%zu,%u,%.0f,%.3f,%.4f,%s\n", r->path, r->op, r->size,
			r->batch, ops, mbs, cpu_us, r->driver);
	if (arr)
		json_array_append_new(arr, json_pack("{s:s,s:s,s:I,s:I,s:f,s:f,s:f,s:s}",
						     "path", r->path, "op", r->op,
						     "size", (json_int_t)r->size,
						     "batch", (json_int_t)r->batch,
						     "ops_per_s", ops, "mb_per_s", mbs,
						     "cpu_us_per_op", cpu_us, "driver", r->driver));
}

/* A netlink error of the kernel path: the plain errno text (esf_strerror()
 * speaks of the fast path) and the kernel's extended-ack reason.
 */
static void kernel_error(struct esf_nl *nl, const char *what, int err)
{
	const char *why = nl ? esf_nl_errmsg(nl) : "";

	fprintf(stderr, "esf-bench: kernel %s: %s%s%s\n", what, strerror(-err),
		*why ? ": " : "", why);
}

/*
 * The kernel path: a short call to size the loop, then one call long
 * enough for --seconds. The rate is the kernel's own clock over its loop;
 * the CPU time is this process's over the call.
 */
static int kernel_measure(const struct opts *o, size_t size, struct result *r)
{
	uint32_t iter = 256;
	uint64_t nsec;
	double c0, want;
	int err;

	err = esf_nl_session_bench(o->nl, o->session, (uint32_t)size, (uint32_t)o->aad_len,
				   iter, &nsec);
	if (err)
		return err;
	want = o->seconds * 1e9 / (nsec ? (double)nsec : 1.0) * iter;
	iter = want > ESF_BENCH_ITERATIONS_MAX ? ESF_BENCH_ITERATIONS_MAX :
	       want < 1 ? 1 : (uint32_t)want;
	c0 = now(CLOCK_PROCESS_CPUTIME_ID);
	err = esf_nl_session_bench(o->nl, o->session, (uint32_t)size, (uint32_t)o->aad_len,
				   iter, &nsec);
	if (err)
		return err;
	r->ops = iter;
	r->seconds = (double)nsec / 1e9;
	r->cpu = now(CLOCK_PROCESS_CPUTIME_ID) - c0;
	r->batch = iter;
	return 0;
}

static int run_size(const struct opts *o, struct esf_session *s, size_t size,
		    const uint8_t *key, size_t key_len, FILE *csv, json_t *arr)
{
	const struct esf_session_info *info = esf_session_info(s);
	struct work w;
	ssize_t n;
	int err = 0, p, k;

	work_init(&w, size, o->aad_len, o->batch, esf_seal_overhead(s));
	/* One genuine record for the esf OPEN runs (the session's replay
	 * window must be off, or the second OPEN of it fails).
	 */
	if (o->open && (o->paths[P_ESF] || o->paths[P_BATCH])) {
		n = esf_seal(s, w.aad, w.aad_len, w.in, size, w.rec, w.rec_len, NULL);
		if (n < 0) {
			err = (int)n;
			goto out;
		}
		w.rec_len = (size_t)n;
	}
	for (p = 0; p < P_NUM && !err; p++) {
		struct afalg a = { 0 };
		struct evp e = { 0 };
		unsigned int per = 1;
		void *ctx = s;
		step_fn fn = esf_step;

		if (!o->paths[p])
			continue;
		if (p == P_KERNEL) {
			struct result r = { .path = "kernel", .op = "seal", .size = size,
					    .driver = info->driver };

			if (!o->seal || !o->nl)
				continue;
			err = kernel_measure(o, size, &r);
			if (err) {
				char what[32];

				snprintf(what, sizeof(what), "seal %zu B", size);
				kernel_error(o->nl, what, err);
			} else {
				report(&r, csv, arr);
			}
			continue;
		}
		w.n = 1;
		if (p == P_BATCH) {
			fn = batch_step;
			per = fit_batch(s, &w, o->batch);
			w.n = per;
		} else if (p == P_AFALG) {
			fn = afalg_step;
			ctx = &a;
			err = afalg_setup(&a, &w, key, key_len);
		} else if (p == P_OPENSSL || p == P_OPENSSL_INIT) {
			fn = p == P_OPENSSL ? evp_step : evp_init_step;
			ctx = &e;
			err = evp_setup(&e, &w, key, key_len);
		}
		for (k = 0; k < 2 && !err; k++) {
			struct result r = {
				.path = path_names[p], .size = size,
				.op = k ? "open" : "seal",
				.driver = p == P_OPENSSL || p == P_OPENSSL_INIT ? "openssl" :
					  p == P_AFALG ? "gcm(aes) via AF_ALG" : info->driver,
			};

			if ((k == 0 && !o->seal) || (k == 1 && !o->open))
				continue;
			err = measure(fn, ctx, &w, k == 0, per, o->seconds, &r);
			if (err)
				fprintf(stderr, "esf-bench: %s %s %zu B: %s\n", r.path, r.op,
					size, esf_strerror(err));
			else
				report(&r, csv, arr);
		}
		if (a.h)
			kcapi_aead_destroy(a.h);
		free(a.buf);
		EVP_CIPHER_CTX_free(e.c);
		free(e.ct);
	}
out:
	work_free(&w);
	return err;
}

/* Options ------------------------------------------------------------------ */

static const char usage[] =
	"usage: esf-bench -s ID [options]\n"
	"\n"
	"SEAL/OPEN throughput of esf session ID (gcm(aes)) against raw AF_ALG,\n"
	"OpenSSL and the in-kernel crypto API loop, on the same algorithm and key\n"
	"size. OPEN reopens the same record: create the session with\n"
	"--replay-window 0.\n"
	"\n"
	"options:\n"
	"  -s, --session ID     the esf session (required)\n"
	"  -p, --paths LIST     esf,esf-batch,afalg,openssl,openssl-init,kernel\n"
	"                       (default: all; kernel needs CAP_NET_ADMIN and is\n"
	"                       skipped without it unless asked for; openssl keeps\n"
	"                       one keyed context, openssl-init keys a new one per\n"
	"                       message)\n"
	"  -o, --ops LIST       seal,open (default: both)\n"
	"  -z, --sizes LIST     payload bytes (default: 64,1024,16384; at most %d sizes)\n"
	"  -a, --aad N          AAD bytes per record (default 16)\n"
	"  -b, --batch N        records per esf-batch call (default 256, at most %d;\n"
	"                       halved until the batch fits the socket's SO_SNDBUF)\n"
	"  -t, --seconds S      wall time per measurement (default 1)\n"
	"      --csv FILE       also write CSV (path,op,size,batch,ops_s,mb_s,cpu_us_op,driver)\n"
	"      --json FILE      also write a JSON array of the same records\n"
	"  -h, --help           this text\n"
	"\n"
	"Output: path, op, size, records per call, ops/s, MB/s (payload), CPU\n"
	"microseconds per operation (user + system of this process), driver.\n"
	"Exit status: 0, or 1 on any error (a failed record fails the run).\n";

static bool parse_list(const char *arg, const char *const *names, unsigned int n, bool *set)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	unsigned int i;
	bool ok = copy != NULL;

	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && ok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n && strcmp(tok, names[i]); i++)
			;
		if (i == n)
			ok = false;
		else
			set[i] = true;
	}
	free(copy);
	return ok;
}

static bool parse_ulong(const char *arg, unsigned long min, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(arg, &end, 10);
	return !errno && *arg && !*end && *v >= min && *v <= max;
}

static bool parse_sizes(const char *arg, struct opts *o)
{
	char *copy = strdup(arg), *save = NULL, *tok;
	unsigned long v;
	bool ok = copy != NULL;

	o->nsizes = 0;
	for (tok = copy ? strtok_r(copy, ",", &save) : NULL; tok && ok;
	     tok = strtok_r(NULL, ",", &save)) {
		ok = o->nsizes < MAX_SIZES && parse_ulong(tok, 1, ESF_MAX_DATA, &v);
		if (ok)
			o->sizes[o->nsizes++] = v;
	}
	free(copy);
	return ok && o->nsizes;
}

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "session", required_argument, NULL, 's' },
		{ "paths", required_argument, NULL, 'p' },
		{ "ops", required_argument, NULL, 'o' },
		{ "sizes", required_argument, NULL, 'z' },
		{ "aad", required_argument, NULL, 'a' },
		{ "batch", required_argument, NULL, 'b' },
		{ "seconds", required_argument, NULL, 't' },
		{ "csv", required_argument, NULL, 'C' },
		{ "json", required_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static const char *const op_names[] = { "seal", "open" };
	bool ops[2] = { false, false }, paths_given = false, ops_given = false;
	unsigned long v;
	int c, i;

	*o = (struct opts){ .aad_len = 16, .batch = 256, .seconds = 1,
			    .sizes = { 64, 1024, 16384 }, .nsizes = 3 };
	while ((c = getopt_long(argc, argv, "s:p:o:z:a:b:t:h", lo, NULL)) != -1) {
		bool ok = true;
		char *end;

		switch (c) {
		case 's':
			ok = parse_ulong(optarg, 1, UINT32_MAX, &v);
			o->session = (uint32_t)v;
			break;
		case 'p':
			ok = paths_given = parse_list(optarg, path_names, P_NUM, o->paths);
			o->paths_given = paths_given;
			break;
		case 'o':
			ok = ops_given = parse_list(optarg, op_names, 2, ops);
			break;
		case 'z':
			ok = parse_sizes(optarg, o);
			break;
		case 'a':
			ok = parse_ulong(optarg, 0, ESF_MAX_AAD, &v);
			o->aad_len = v;
			break;
		case 'b':
			ok = parse_ulong(optarg, 1, ESF_MAX_BATCH, &v);
			o->batch = (unsigned int)v;
			break;
		case 't':
			o->seconds = strtod(optarg, &end);
			ok = *optarg && !*end && o->seconds > 0 && o->seconds <= 3600;
			break;
		case 'C':
			o->csv = optarg;
			break;
		case 'J':
			o->json = optarg;
			break;
		case 'h':
			printf(usage, MAX_SIZES, ESF_MAX_BATCH);
			exit(0);
		default:
			ok = false;
		}
		if (!ok) {
			if (c != '?')
				fprintf(stderr, "esf-bench: bad value for -%c: '%s'\n", c, optarg);
			fprintf(stderr, "Try 'esf-bench --help'.\n");
			return -1;
		}
	}
	if (optind != argc || !o->session) {
		fprintf(stderr, "esf-bench: %s\nTry 'esf-bench --help'.\n",
			optind != argc ? "unexpected argument" : "--session is required");
		return -1;
	}
	for (i = 0; i < P_NUM && !paths_given; i++)
		o->paths[i] = true;
	o->seal = !ops_given || ops[0];
	o->open = !ops_given || ops[1];
	return 0;
}

/*
 * The kernel path needs generic netlink and CAP_NET_ADMIN. Asked for by
 * name, missing either is an error; as part of "all paths" it is skipped
 * with a note, so that an unprivileged owner of the session can still
 * measure the rest.
 */
static int kernel_path_init(struct opts *o)
{
	uint64_t nsec;
	int err;

	if (!o->paths[P_KERNEL] || !o->seal)
		return 0;
	err = esf_nl_open(&o->nl);
	if (!err)
		err = esf_nl_session_bench(o->nl, o->session, 16, 0, 1, &nsec);
	if (!err)
		return 0;
	if (o->paths_given || err != -EPERM) {
		kernel_error(o->nl, "path", err);
		return err;
	}
	printf("# kernel path skipped: it needs CAP_NET_ADMIN\n");
	esf_nl_close(o->nl);
	o->nl = NULL;
	o->paths[P_KERNEL] = false;
	return 0;
}

int main(int argc, char **argv)
{
	struct esf_session *s = NULL;
	const struct esf_session_info *info;
	json_t *arr = NULL;
	FILE *csv = NULL;
	uint8_t key[32];
	struct opts o;
	unsigned int i;
	int err;

	if (parse(argc, argv, &o))
		return 1;
	err = esf_session_open(o.session, 0, 0, &s);
	if (err) {
		fprintf(stderr, "esf-bench: session %u: %s\n", o.session, esf_strerror(err));
		return 1;
	}
	info = esf_session_info(s);
	if (info->alg != ESF_ALG_GCM_AES || info->tag_len != GCM_TAG) {
		fprintf(stderr, "esf-bench: session %u is not gcm(aes) with a 16-byte tag\n",
			o.session);
		esf_session_close(s);
		return 1;
	}
	rnd(key, info->key_len);
	err = kernel_path_init(&o);
	if (err) {
		esf_session_close(s);
		return 1;
	}
	if (o.csv) {
		csv = fopen(o.csv, "w");
		if (!csv) {
			perror(o.csv);
			esf_session_close(s);
			return 1;
		}
		fprintf(csv, "path,op,size,batch,ops_s,mb_s,cpu_us_op,driver\n");
	}
	if (o.json)
		arr = json_array();
	printf("# esf-bench: session %u, %s, AES-%u, %zu B AAD, %.1f s per run\n", o.session,
	       info->driver, info->key_len * 8, o.aad_len, o.seconds);
	printf("%-10s %-5s %6s %6s %12s %10s %10s  %s\n", "path", "op", "size", "batch",
	       "ops/s", "MB/s", "cpu-us/op", "driver");
	for (i = 0; i < o.nsizes && !err; i++)
		err = run_size(&o, s, o.sizes[i], key, info->key_len, csv, arr);
	if (csv && fclose(csv) && !err)
		err = -errno;
	if (arr) {
		if (!err && json_dump_file(arr, o.json, JSON_INDENT(1)))
			err = -EIO;
		json_decref(arr);
	}
	esf_session_close(s);
	esf_nl_close(o.nl);
	explicit_bzero(key, sizeof(key));
	if (err)
		fprintf(stderr, "esf-bench: %s\n", esf_strerror(err));
	return err ? 1 : 0;
}
