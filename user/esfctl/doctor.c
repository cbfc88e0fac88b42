// SPDX-License-Identifier: GPL-2.0
/*
 * esfctl doctor: what this machine offloads, and what stands in the way.
 *
 * Every answer comes from the running system: /sys/module/esf, /proc/crypto,
 * the kernel itself (a throwaway session per algorithm and per provider,
 * created and deleted again, reports the driver a new session gets and
 * whether it is hardware or asynchronous, as ESF_A_PROVIDER says), an
 * AF_ALG socket, /dev/esf, efivarfs and securityfs, and esfd's control
 * socket. Nothing is loaded or changed: the module is never autoloaded
 * (no netlink or AF_ALG bind before /sys/module/esf exists).
 */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/if_alg.h>

#include "esf.h"
#include "esf_algs.h"
#include "esfctl.h"

static const char doctor_usage[] =
	"usage: esfctl doctor [--json] [--socket PATH]\n"
	"\n"
	"Check what this machine offloads and what stands in the way: esf.ko\n"
	"(loaded, version, parameters, known-answer tests, taint, signature),\n"
	"for each algorithm esf offers every provider in /proc/crypto with its\n"
	"priority, whether it is hardware or asynchronous and which one a new\n"
	"session gets, AF_ALG (available, or blocked by seccomp or a security\n"
	"module), /dev/esf, Secure Boot, lockdown and module signature\n"
	"enforcement, and esfd. Ends with one verdict line per algorithm.\n"
	"\n"
	"As root (CAP_NET_ADMIN) with esf.ko loaded, the kernel answers for\n"
	"each provider: doctor creates a throwaway session on it and deletes it\n"
	"again, and builds authenc over each cbc(aes) provider (a device's\n"
	"among them) when that instance ranks below what new sessions get, so\n"
	"that running doctor never changes the answer. Otherwise the choice is\n"
	"predicted from /proc/crypto and the hardware column says '?'.\n"
	"\n"
	"options:\n"
	"  -S, --socket PATH  esfd's control socket (default $ESFD_CONTROL_SOCKET\n"
	"                     or " ESF_CTL_DEFAULT ")\n"
	"  --json             one JSON document instead of text\n"
	"  -h, --help         this text\n"
	"\n"
	"Exit status: 0 when esf.ko is loaded, passed its known-answer tests, AF_ALG\n"
	"works and every algorithm has a provider; 1 otherwise (the lines marked\n"
	"'!' say why); 2 usage error.\n";

/* /proc/crypto ------------------------------------------------------------ */

struct provider {
	char name[128];
	char driver[128];
	char module[64];
	char type[32];
	char selftest[16];
	int priority;
	int async;		/* -1: not reported for this type */
	bool internal;
	/* From the kernel, when a pinned session could be made. */
	bool probed;
	uint32_t flags;		/* ESF_PROVIDER_* */
	char probe_err[160];
};

struct crypto_table {
	struct provider *p;
	size_t n;
};

static void field(char *dst, size_t len, const char *val)
{
	snprintf(dst, len, "%s", val);
}

static int read_proc_crypto(struct crypto_table *t)
{
	FILE *f = fopen("/proc/crypto", "r");
	char line[256], *colon, *val;
	struct provider *cur = NULL, *np;

	t->p = NULL;
	t->n = 0;
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		colon = strchr(line, ':');
		if (!colon)
			continue;
		*colon = '\0';
		val = colon + 1;
		while (*val == ' ')
			val++;
		for (char *e = colon - 1; e >= line && *e == ' '; e--)
			*e = '\0';
		if (!strcmp(line, "name")) {
			np = realloc(t->p, (t->n + 1) * sizeof(*np));
			if (!np) {
				fclose(f);
				return -ENOMEM;
			}
			t->p = np;
			cur = &t->p[t->n++];
			memset(cur, 0, sizeof(*cur));
			cur->async = -1;
			field(cur->name, sizeof(cur->name), val);
			continue;
		}
		if (!cur)
			continue;
		if (!strcmp(line, "driver"))
			field(cur->driver, sizeof(cur->driver), val);
		else if (!strcmp(line, "module"))
			field(cur->module, sizeof(cur->module), val);
		else if (!strcmp(line, "type"))
			field(cur->type, sizeof(cur->type), val);
		else if (!strcmp(line, "selftest"))
			field(cur->selftest, sizeof(cur->selftest), val);
		else if (!strcmp(line, "priority"))
			cur->priority = atoi(val);
		else if (!strcmp(line, "async"))
			cur->async = !strcmp(val, "yes");
		else if (!strcmp(line, "internal"))
			cur->internal = !strcmp(val, "yes");
	}
	fclose(f);
	return 0;
}

/* The entries for @name that a session can be given: not internal, and of
 * the kind esf allocates (a hash for hmac, an AEAD otherwise).
 */
static bool usable_for(const struct provider *p, const char *name, bool mic)
{
	if (strcmp(p->name, name) || p->internal)
		return false;
	if (mic)
		return !strcmp(p->type, "shash") || !strcmp(p->type, "ahash");
	return !strcmp(p->type, "aead");
}

/* Small file helpers ------------------------------------------------------ */

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int err = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		buf[0] = '\0';
	if (ferror(f))
		err = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return err;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* The module ------------------------------------------------------------- */

static const char sig_magic[] = "~Module signature appended~\n";

/* Where modprobe would find esf.ko, from modules.dep; "" if nowhere. */
static void module_file(char *out, size_t len)
{
	struct utsname u;
	char path[512], line[1024];
	FILE *f;

	out[0] = '\0';
	if (uname(&u))
		return;
	snprintf(path, sizeof(path), "/lib/modules/%s/modules.dep", u.release);
	f = fopen(path, "r");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *colon = strchr(line, ':'), *base;

		if (!colon)
			continue;
		*colon = '\0';
		base = strrchr(line, '/');
		base = base ? base + 1 : line;
		if (!strcmp(base, "esf.ko") || !strncmp(base, "esf.ko.", 7)) {
			if (line[0] == '/')
				snprintf(out, len, "%s", line);
			else
				snprintf(out, len, "/lib/modules/%s/%s", u.release, line);
			break;
		}
	}
	fclose(f);
}

/* "yes", "no", or why it cannot be told from the file. */
static const char *file_signed(const char *path)
{
	char tail[sizeof(sig_magic) - 1];
	size_t plen = strlen(path);
	FILE *f;

	if (!*path)
		return "unknown (esf.ko is not in modules.dep)";
	if (plen > 3 && (!strcmp(path + plen - 3, ".xz") || !strcmp(path + plen - 4, ".zst") ||
			 !strcmp(path + plen - 3, ".gz")))
		return "unknown (compressed module)";
	f = fopen(path, "rb");
	if (!f)
		return "unknown (cannot read the file)";
	if (fseek(f, -(long)sizeof(tail), SEEK_END) ||
	    fread(tail, 1, sizeof(tail), f) != sizeof(tail)) {
		fclose(f);
		return "unknown (cannot read the file)";
	}
	fclose(f);
	return memcmp(tail, sig_magic, sizeof(tail)) ? "no" : "yes";
}

static json_t *module_json(bool *loaded, bool *kat_ok)
{
	char buf[300], path[1200];
	json_t *m = json_object(), *params = json_object();
	DIR *d;
	struct dirent *de;

	*loaded = exists("/sys/module/esf/initstate") || exists("/sys/module/esf/version");
	*kat_ok = false;
	json_object_set_new(m, "loaded", json_boolean(*loaded));
	module_file(path, sizeof(path));
	json_object_set_new(m, "file", *path ? json_string(path) : json_null());
	json_object_set_new(m, "file_signed", json_string(file_signed(path)));
	if (read_line("/sys/module/module/parameters/sig_enforce", buf, sizeof(buf)))
		json_object_set_new(m, "sig_enforce", json_null());
	else
		json_object_set_new(m, "sig_enforce", json_boolean(buf[0] == 'Y'));
	if (!*loaded) {
		json_object_set_new(m, "parameters", params);
		return m;
	}
	json_object_set_new(m, "version", read_line("/sys/module/esf/version", buf, sizeof(buf)) ?
			    json_null() : json_string(buf));
	json_object_set_new(m, "taint", read_line("/sys/module/esf/taint", buf, sizeof(buf)) ?
			    json_null() : json_string(buf));
	d = opendir("/sys/module/esf/parameters");
	while (d && (de = readdir(d))) {
		char p[300];

		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "/sys/module/esf/parameters/%s", de->d_name);
		if (!read_line(p, buf, sizeof(buf)))
			json_object_set_new(params, de->d_name, json_string(buf));
	}
	if (d)
		closedir(d);
	json_object_set_new(m, "parameters", params);
	/* Built without ESF_SELFTEST the parameter is absent: say so. */
	if (read_line("/sys/module/esf/parameters/selftest_result", buf, sizeof(buf))) {
		json_object_set_new(m, "selftest", json_string("not built in"));
		*kat_ok = true;
	} else {
		json_object_set_new(m, "selftest", json_string(buf));
		*kat_ok = !strncmp(buf, "passed", 6) || !strncmp(buf, "skipped", 7);
	}
	return m;
}

/* Providers, through throwaway sessions ------------------------------------ */

struct probe {
	struct esf_nl *nl;	/* NULL: not root or module not loaded */
};

/* A session for @a on @driver (NULL: the kernel's choice); 0 and *@out, or
 * a negative errno with the kernel's reason in @why.
 */
static int probe_session(struct probe *pr, const struct esf_alg_desc *a, const char *driver,
			 struct esf_nl_session *out, char *why, size_t why_len)
{
	struct esf_nl_new r = { 0 };
	uint8_t key[ESF_KEY_MAX];
	static const char kid[] = "esfctl-doctor";
	int err;

	why[0] = '\0';
	r.alg = a->name;
	r.key = key;
	r.key_len = a->probe_key_len;
	if (getrandom(key, r.key_len, 0) != (ssize_t)r.key_len)
		return -EIO;
	if (a->kind != ESF_ALGK_MIC) {
		if (getrandom(r.salt, sizeof(r.salt), 0) != sizeof(r.salt))
			return -EIO;
		r.set |= ESF_NEW_SALT;
	}
	if (driver) {
		r.driver = driver;
		r.set |= ESF_NEW_DRIVER;
	}
	/* Should doctor die before deleting it, the session ends itself. */
	r.hard.seconds = 60;
	r.set |= ESF_NEW_HARD;
	memcpy(r.key_id, kid, sizeof(kid) - 1);
	r.key_id_len = sizeof(kid) - 1;
	r.set |= ESF_NEW_KEY_ID;
	err = esf_nl_session_new(pr->nl, &r, out);
	explicit_bzero(key, sizeof(key));
	if (err) {
		snprintf(why, why_len, "%s%s%s", strerror(-err),
			 *esf_nl_errmsg(pr->nl) ? ": " : "", esf_nl_errmsg(pr->nl));
		return err;
	}
	esf_nl_session_del(pr->nl, out->id);
	return 0;
}

static const char *hw_word(const struct provider *p)
{
	if (!p->probed)
		return "?";
	return p->flags & ESF_PROVIDER_HW ? "hardware" : "cpu";
}

/* The provider the crypto API would pick by itself: the highest priority
 * among those that passed their self-test (what crypto_alg_lookup() takes).
 */
static const struct provider *predicted(const struct crypto_table *t, const char *name,
					bool mic)
{
	const struct provider *best = NULL;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct provider *p = &t->p[i];

		if (!usable_for(p, name, mic) || strcmp(p->selftest, "passed"))
			continue;
		if (!best || p->priority > best->priority)
			best = p;
	}
	return best;
}

struct alg_result {
	const struct esf_alg_desc *a;
	bool kernel_said;		/* the default session was made */
	struct esf_nl_session s;	/* when kernel_said */
	char err[160];			/* when the default session failed */
	bool kernel_refused;		/* the kernel could not make one */
	const struct provider *pred;	/* when not kernel_said */
	bool available;
	bool hw;
};

static json_t *provider_json(const struct provider *p, bool chosen)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:s,s:s,s:b}", "driver", p->driver,
			      "module", p->module, "priority", p->priority, "type", p->type,
			      "selftest", p->selftest, "chosen", chosen);

	json_object_set_new(o, "async", p->probed ? json_boolean(p->flags & ESF_PROVIDER_ASYNC) :
			    p->async < 0 ? json_null() : json_boolean(p->async));
	json_object_set_new(o, "hardware", p->probed ? json_boolean(p->flags & ESF_PROVIDER_HW) :
			    json_null());
	json_object_set_new(o, "kernel_checked", json_boolean(p->probed));
	if (p->probe_err[0])
		json_object_set_new(o, "probe_error", json_string(p->probe_err));
	return o;
}

static const char *chosen_driver(const struct alg_result *r)
{
	if (r->kernel_said)
		return r->s.driver;
	return r->pred ? r->pred->driver : NULL;
}

/* A kw(aes) session's driver is its content cipher's: "gcm-aes-...". */
static bool is_chosen(const struct alg_result *r, const struct provider *p)
{
	const char *d = chosen_driver(r);

	return d && !strcmp(d, p->driver);
}

static void verdict_text(const struct alg_result *r, char *buf, size_t len)
{
	const char *d = chosen_driver(r);

	if (!r->available)
		snprintf(buf, len, "%s: unavailable%s%s%s", r->a->name, r->err[0] ? " (" : "",
			 r->err, r->err[0] ? ")" : "");
	else if (!r->kernel_said && !d)
		snprintf(buf, len, "%s: unknown (%s; run as root with esf.ko loaded to know)",
			 r->a->name, r->err);
	else if (!r->kernel_said)
		snprintf(buf, len, "%s: %s (predicted; run as root with esf.ko loaded to know)",
			 r->a->name, d);
	else if (r->hw)
		snprintf(buf, len, "%s: hardware (%s)", r->a->name, d);
	else
		snprintf(buf, len, "%s: CPU only (%s)", r->a->name, d);
}

static size_t entry_count(const struct crypto_table *t, const char *name, bool mic)
{
	size_t i, n = 0;

	for (i = 0; i < t->n; i++)
		n += usable_for(&t->p[i], name, mic);
	return n;
}

/* AF_ALG ------------------------------------------------------------------ */

static int seccomp_mode(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	int mode = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, "Seccomp:", 8))
			mode = atoi(line + 8);
	fclose(f);
	return mode;
}

static json_t *af_alg_json(bool loaded, bool *ok, char *summary, size_t len)
{
	int fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0), err = fd < 0 ? errno : 0;
	int mode = seccomp_mode();
	json_t *o = json_object();
	const char *state;

	json_object_set_new(o, "seccomp", mode < 0 ? json_null() : json_string(
		mode == 0 ? "disabled" : mode == 1 ? "strict" : "filter"));
	if (fd >= 0) {
		state = "available";
		*ok = true;
	} else if (err == EAFNOSUPPORT) {
		state = "unavailable";
		*ok = false;
	} else if ((err == EPERM || err == EACCES) && mode > 0) {
		state = "blocked-by-seccomp";
		*ok = false;
	} else if (err == EPERM || err == EACCES) {
		state = "restricted";
		*ok = false;
	} else {
		state = "error";
		*ok = false;
	}
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "errno", err ? json_string(strerror(err)) : json_null());
	/* bind() names the type; a loaded module makes "esf" known (an
	 * unloaded one would be autoloaded by the bind, so it is not tried).
	 */
	if (fd >= 0 && loaded) {
		struct sockaddr_alg sa = { .salg_family = AF_ALG };
		int r;

		memcpy(sa.salg_type, ESF_ALG_TYPE, sizeof(ESF_ALG_TYPE));
		memcpy(sa.salg_name, "0", 2);
		r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
		/* esf's bind refuses session 0 with EINVAL; ENOENT: no such type */
		json_object_set_new(o, "esf_type", json_boolean(r && errno == EINVAL));
		if (!(r && errno == EINVAL)) {
			*ok = false;
			state = "esf type missing";
		}
	} else {
		json_object_set_new(o, "esf_type", json_null());
	}
	if (fd >= 0)
		close(fd);
	if (!strcmp(state, "available"))
		snprintf(summary, len, "available%s", loaded ? ", socket type \"esf\" registered" : "");
	else if (!strcmp(state, "blocked-by-seccomp"))
		snprintf(summary, len, "blocked by seccomp (socket(AF_ALG): %s; this process "
			 "runs under a seccomp filter)", strerror(err));
	else if (!strcmp(state, "restricted"))
		snprintf(summary, len, "restricted (socket(AF_ALG): %s; no seccomp filter, so a "
			 "security module's policy)", strerror(err));
	else if (!strcmp(state, "unavailable"))
		snprintf(summary, len, "unavailable (socket(AF_ALG): %s; kernel without "
			 "CONFIG_CRYPTO_USER_API)", strerror(err));
	else if (!strcmp(state, "esf type missing"))
		snprintf(summary, len, "available, but the socket type \"esf\" is not registered");
	else
		snprintf(summary, len, "error (socket(AF_ALG): %s)", strerror(err));
	return o;
}

/* /dev/esf ----------------------------------------------------------------- */

static json_t *dev_json(char *summary, size_t len)
{
	struct stat st;
	char sys[32] = "";
	json_t *o = json_object();
	bool node = stat("/dev/" ESF_DEV_NAME, &st) == 0 && S_ISCHR(st.st_mode);
	bool registered = !read_line("/sys/class/misc/" ESF_DEV_NAME "/dev", sys, sizeof(sys));

	json_object_set_new(o, "path", json_string("/dev/" ESF_DEV_NAME));
	json_object_set_new(o, "exists", json_boolean(node));
	json_object_set_new(o, "registered", json_boolean(registered));
	if (node) {
		char mm[32];

		snprintf(mm, sizeof(mm), "%u:%u", major(st.st_rdev), minor(st.st_rdev));
		json_object_set_new(o, "device", json_string(mm));
		json_object_set_new(o, "mode", json_integer(st.st_mode & 07777));
		json_object_set_new(o, "accessible", json_boolean(!access("/dev/" ESF_DEV_NAME,
								    R_OK | W_OK)));
		if (registered && strcmp(mm, sys))
			snprintf(summary, len, "/dev/esf is %s but the module's device is %s",
				 mm, sys);
		else
			snprintf(summary, len, "/dev/esf present (%s, mode %04o%s)", mm,
				 (unsigned int)(st.st_mode & 07777),
				 access("/dev/" ESF_DEV_NAME, R_OK | W_OK) ? ", not accessible to you" : "");
	} else if (registered) {
		snprintf(summary, len, "no /dev/esf node, though the module registered %s "
			 "(no devtmpfs or udev?)", sys);
	} else {
		snprintf(summary, len, "no /dev/esf (esf.ko not loaded)");
	}
	return o;
}

/* Secure Boot, lockdown ------------------------------------------------------ */

#define SECUREBOOT_VAR "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-e98c0e2b1f8c"

static json_t *boot_json(char *sb, size_t sb_len, char *ld, size_t ld_len)
{
	json_t *o = json_object();
	unsigned char v[5];
	char buf[128];
	FILE *f;

	if (!exists("/sys/firmware/efi")) {
		json_object_set_new(o, "efi", json_false());
		json_object_set_new(o, "secure_boot", json_false());
		snprintf(sb, sb_len, "off (not booted through EFI)");
	} else {
		json_object_set_new(o, "efi", json_true());
		f = fopen(SECUREBOOT_VAR, "rb");
		/* efivarfs: 4 bytes of attributes, then the value */
		if (f && fread(v, 1, sizeof(v), f) == sizeof(v)) {
			json_object_set_new(o, "secure_boot", json_boolean(v[4] == 1));
			snprintf(sb, sb_len, "%s", v[4] == 1 ? "on" : "off");
		} else {
			json_object_set_new(o, "secure_boot", json_null());
			snprintf(sb, sb_len, "unknown (EFI, but the SecureBoot variable is not "
				 "readable: efivarfs not mounted?)");
		}
		if (f)
			fclose(f);
	}
	if (read_line("/sys/kernel/security/lockdown", buf, sizeof(buf))) {
		json_object_set_new(o, "lockdown", json_null());
		snprintf(ld, ld_len, "unknown (no /sys/kernel/security/lockdown: securityfs "
			 "not mounted, or no lockdown LSM)");
	} else {
		char *b = strchr(buf, '['), *e = b ? strchr(b, ']') : NULL;

		if (b && e) {
			*e = '\0';
			json_object_set_new(o, "lockdown", json_string(b + 1));
			snprintf(ld, ld_len, "%s", b + 1);
		} else {
			json_object_set_new(o, "lockdown", json_null());
			snprintf(ld, ld_len, "unknown ('%s')", buf);
		}
	}
	return o;
}

/* esfd ------------------------------------------------------------------- */

static json_t *esfd_json(const char *sock, char *summary, size_t len)
{
	char *reply = NULL;
	json_t *o = json_object(), *st;
	const char *path = sock ? sock : getenv("ESFD_CONTROL_SOCKET") ?
		getenv("ESFD_CONTROL_SOCKET") : ESF_CTL_DEFAULT;
	int err = esf_ctl_request(sock, "{\"cmd\":\"status\"}", &reply);

	json_object_set_new(o, "socket", json_string(path));
	if (err) {
		json_object_set_new(o, "running", json_false());
		json_object_set_new(o, "error", json_string(strerror(-err)));
		snprintf(summary, len, "not reachable at %s (%s)", path, strerror(-err));
		return o;
	}
	st = json_loads(reply, 0, NULL);
	free(reply);
	json_object_set_new(o, "running", json_true());
	if (json_is_object(st)) {
		json_object_set(o, "version", json_object_get(st, "version"));
		json_object_set(o, "pid", json_object_get(st, "pid"));
		json_object_set(o, "id", json_object_get(st, "id"));
		json_object_set(o, "pairs", json_object_get(st, "pairs"));
		snprintf(summary, len, "running, pid %lld, %s, %lld session pairs",
			 (long long)json_integer_value(json_object_get(st, "pid")),
			 json_string_value(json_object_get(st, "id")) ?: "?",
			 (long long)json_integer_value(json_object_get(st, "pairs")));
	} else {
		snprintf(summary, len, "answering at %s, but not with a status", path);
	}
	json_decref(st);
	return o;
}

/* The command -------------------------------------------------------------- */

static const struct option doctor_opts[] = {
	{ "socket", required_argument, NULL, 'S' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static void print_providers(const struct crypto_table *t, const struct alg_result *r, int w)
{
	bool mic = r->a->kind == ESF_ALGK_MIC;
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct provider *p = &t->p[i];
		char async[8];

		if (!usable_for(p, r->a->work_alg, mic))
			continue;
		if (p->probed)
			snprintf(async, sizeof(async), "%s", p->flags & ESF_PROVIDER_ASYNC ?
				 "yes" : "no");
		else
			snprintf(async, sizeof(async), "%s", p->async < 0 ? "?" :
				 p->async ? "yes" : "no");
		printf("    %c %-*s %5d  %-8s  %-5s  %-8s %s%s\n", is_chosen(r, p) ? '*' : ' ',
		       w, p->driver, p->priority, hw_word(p), async, p->selftest, p->module,
		       p->probe_err[0] ? "  (cannot pin: " : "");
		if (p->probe_err[0])
			printf("      %s)\n", p->probe_err);
	}
}

static const struct provider *by_driver(const struct crypto_table *t, const char *driver)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (!strcmp(t->p[i].driver, driver))
			return &t->p[i];
	return NULL;
}

/*
 * The crypto API builds a template instance only when no algorithm of the
 * name is registered yet (crypto/api.c, crypto_larval_lookup()); once
 * built, an instance competes by priority with every later lookup. So an
 * instance that would outrank what new sessions get now is never built:
 * doctor must not change the answer it reports (the AES-NI instance, 4170,
 * would outrank QAT's own authenc, 4001). authenc's priority is the
 * cipher's times 10 plus the hash's (crypto/authenc.c).
 */
static void compose_authenc(struct probe *pr, struct crypto_table *t, struct alg_result *res)
{
	const struct esf_alg_desc *a = esf_alg_lookup("authenc(hmac(sha256),cbc(aes))");
	const struct alg_result *h = NULL, *cur = NULL;
	const struct provider *hp, *cp;
	struct esf_nl_session s;
	char drv[300], why[160];
	size_t i;

	for (i = 0; i < esf_algs_count; i++) {
		if (!strcmp(res[i].a->name, "hmac(sha256)") && res[i].kernel_said)
			h = &res[i];
		if (res[i].a == a && res[i].kernel_said)
			cur = &res[i];
	}
	if (!a || !h || !cur)
		return;
	hp = by_driver(t, h->s.driver);
	cp = by_driver(t, cur->s.driver);
	if (!hp || !cp)
		return;
	for (i = 0; i < t->n; i++) {
		const struct provider *p = &t->p[i];

		if (strcmp(p->name, "cbc(aes)") || p->internal || strcmp(p->type, "skcipher"))
			continue;
		if ((long)p->priority * 10 + hp->priority >= cp->priority)
			continue;
		snprintf(drv, sizeof(drv), "authenc(%s,%s)", h->s.driver, p->driver);
		probe_session(pr, a, drv, &s, why, sizeof(why));
	}
	free(t->p);
	if (read_proc_crypto(t)) {
		t->p = NULL;
		t->n = 0;
	}
}

/* A hardware provider of @r's algorithm that a new session does not get. */
static const struct provider *unused_hw(const struct crypto_table *t, const struct alg_result *r)
{
	size_t i;

	for (i = 0; i < t->n; i++) {
		const struct provider *p = &t->p[i];

		if (usable_for(p, r->a->work_alg, r->a->kind == ESF_ALGK_MIC) && p->probed &&
		    (p->flags & ESF_PROVIDER_HW) && !is_chosen(r, p))
			return p;
	}
	return NULL;
}

int esfctl_cmd_doctor(int argc, char **argv)
{
	const char *sock = NULL;
	struct crypto_table t;
	struct alg_result *res;
	struct probe pr = { NULL };
	bool loaded, kat_ok, af_ok, healthy;
	char af_sum[256], dev_sum[256], sb[160], ld[160], esfd_sum[256], line[512];
	json_t *doc, *mod, *algs, *verdicts;
	size_t i, j;
	int c, err, w;

	optind = 1;
	while ((c = getopt_long(argc, argv, "S:h", doctor_opts, NULL)) != -1) {
		if (c == 'S') {
			sock = optarg;
		} else if (c == 'h') {
			fputs(doctor_usage, stdout);
			return 0;
		} else {
			fputs(doctor_usage, stderr);
			return 2;
		}
	}
	if (optind < argc)
		return esfctl_usage_error(doctor_usage, "unexpected argument '%s'", argv[optind]);

	mod = module_json(&loaded, &kat_ok);
	if (loaded && esf_nl_open(&pr.nl))
		pr.nl = NULL;
	res = calloc(esf_algs_count, sizeof(*res));
	if (!res)
		return esfctl_fail(NULL, "doctor", -ENOMEM);

	/* The kernel's own choice first: it also instantiates templates
	 * (authenc, ccm, kw), which then show in /proc/crypto.
	 */
	for (i = 0; i < esf_algs_count; i++) {
		res[i].a = &esf_algs[i];
		if (!pr.nl)
			continue;
		err = probe_session(&pr, res[i].a, NULL, &res[i].s, res[i].err, sizeof(res[i].err));
		if (!err) {
			res[i].kernel_said = true;
			res[i].available = true;
			res[i].hw = res[i].s.provider & ESF_PROVIDER_HW;
		} else if (err == -EPERM) {
			/* Not CAP_NET_ADMIN: predict from /proc/crypto for all. */
			esf_nl_close(pr.nl);
			pr.nl = NULL;
			res[i].err[0] = '\0';
		} else {
			res[i].kernel_refused = true;
		}
	}
	err = read_proc_crypto(&t);
	if (err) {
		free(res);
		return esfctl_fail(NULL, "doctor: /proc/crypto", err);
	}
	/* authenc is a template: its instances appear once made, and the one
	 * the kernel picks by priority runs cbc(aes) on the CPU even when a
	 * device offers cbc(aes) (virtio-crypto, CAAM, ...). Each cbc(aes)
	 * provider is composed with the HMAC the kernel picks and tried, if
	 * the instance ranks below what new sessions get now.
	 */
	if (pr.nl)
		compose_authenc(&pr, &t, res);
	/* Then every provider of every algorithm, pinned. */
	for (i = 0; pr.nl && i < t.n; i++) {
		struct provider *p = &t.p[i];
		const struct esf_alg_desc *a = NULL;
		struct esf_nl_session s;

		for (j = 0; j < esf_algs_count && !a; j++)
			if (usable_for(p, esf_algs[j].work_alg, esf_algs[j].kind == ESF_ALGK_MIC) &&
			    esf_algs[j].kind != ESF_ALGK_KW)
				a = &esf_algs[j];
		if (!a)
			continue;
		if (!probe_session(&pr, a, p->driver, &s, p->probe_err, sizeof(p->probe_err))) {
			p->probed = true;
			p->flags = s.provider;
		}
	}
	for (i = 0; i < esf_algs_count; i++) {
		struct alg_result *r = &res[i];

		if (r->kernel_said || r->kernel_refused)
			continue;
		r->pred = predicted(&t, r->a->work_alg, r->a->kind == ESF_ALGK_MIC);
		/* Without the kernel's word, a template not yet instantiated
		 * may still be available: only a kernel refusal says it is not.
		 */
		r->available = r->pred != NULL || !r->err[0];
		if (!r->pred && !r->err[0])
			snprintf(r->err, sizeof(r->err), "no provider in /proc/crypto yet");
	}

	healthy = loaded && kat_ok;
	doc = json_object();
	json_object_set_new(doc, "module", mod);
	json_object_set_new(doc, "kernel_checked", json_boolean(pr.nl != NULL));
	algs = json_array();
	verdicts = json_array();
	for (i = 0; i < esf_algs_count; i++) {
		struct alg_result *r = &res[i];
		json_t *a = json_object(), *provs = json_array();
		bool mic = r->a->kind == ESF_ALGK_MIC;

		for (j = 0; j < t.n; j++)
			if (usable_for(&t.p[j], r->a->work_alg, mic))
				json_array_append_new(provs, provider_json(&t.p[j],
									   is_chosen(r, &t.p[j])));
		json_object_set_new(a, "name", json_string(r->a->name));
		json_object_set_new(a, "crypto_api_name", json_string(r->a->work_alg));
		json_object_set_new(a, "providers", provs);
		json_object_set_new(a, "new_session_driver", chosen_driver(r) ?
				    json_string(chosen_driver(r)) : json_null());
		json_object_set_new(a, "predicted", json_boolean(!r->kernel_said && !r->kernel_refused));
		json_object_set_new(a, "verdict", json_string(!r->available ? "unavailable" :
			!r->kernel_said ? "unknown" : r->hw ? "hardware" : "cpu"));
		if (r->err[0])
			json_object_set_new(a, "error", json_string(r->err));
		json_array_append_new(algs, a);
		verdict_text(r, line, sizeof(line));
		if (r->kernel_said && !r->hw && unused_hw(&t, r)) {
			size_t l = strlen(line);

			snprintf(line + l, sizeof(line) - l, "; hardware when pinned: %s",
				 unused_hw(&t, r)->driver);
			json_object_set_new(a, "hardware_when_pinned",
					    json_string(unused_hw(&t, r)->driver));
		}
		json_array_append_new(verdicts, json_string(line));
		if (!r->available)
			healthy = false;
	}
	json_object_set_new(doc, "algorithms", algs);
	json_object_set_new(doc, "af_alg", af_alg_json(loaded, &af_ok, af_sum, sizeof(af_sum)));
	healthy = healthy && af_ok;
	json_object_set_new(doc, "dev_esf", dev_json(dev_sum, sizeof(dev_sum)));
	json_object_set_new(doc, "boot", boot_json(sb, sizeof(sb), ld, sizeof(ld)));
	json_object_set_new(doc, "esfd", esfd_json(sock, esfd_sum, sizeof(esfd_sum)));
	json_object_set_new(doc, "verdicts", verdicts);
	json_object_set_new(doc, "healthy", json_boolean(healthy));

	if (opt_json) {
		esfctl_json_print(doc);
		doc = NULL;
	} else {
		/* verdicts belongs to doc, printed last */
		json_t *m = json_object_get(doc, "module"), *v;
		const char *k;

		if (!loaded) {
			printf("! module: esf.ko not loaded (modprobe esf)\n");
		} else {
			printf("%c module: esf.ko %s loaded; known-answer tests: %s\n",
			       kat_ok ? ' ' : '!',
			       json_string_value(json_object_get(m, "version")) ?: "?",
			       json_string_value(json_object_get(m, "selftest")));
			printf("  parameters:");
			json_object_foreach(json_object_get(m, "parameters"), k, v)
				if (strcmp(k, "selftest_result"))
					printf(" %s=%s", k, json_string_value(v));
			printf("\n  taint: %s\n", json_string_value(json_object_get(m, "taint")) ?: "?");
		}
		printf("  file: %s (signed: %s); signatures enforced: %s\n",
		       json_string_value(json_object_get(m, "file")) ?: "not in modules.dep",
		       json_string_value(json_object_get(m, "file_signed")),
		       json_is_null(json_object_get(m, "sig_enforce")) ?
		       "no (kernel without CONFIG_MODULE_SIG)" :
		       json_is_true(json_object_get(m, "sig_enforce")) ? "yes" : "no");
		printf("  Secure Boot: %s; lockdown: %s\n", sb, ld);
		printf("%c AF_ALG: %s\n", af_ok ? ' ' : '!', af_sum);
		printf("  /dev/esf: %s\n", dev_sum);
		printf("  esfd: %s\n", esfd_sum);
		printf("\nproviders (%s; * = what a new session gets)\n",
		       pr.nl ? "checked by the kernel with a throwaway session each" :
		       "from /proc/crypto only: run as root with esf.ko loaded for the kernel's word");
		w = 34;
		for (i = 0; i < t.n; i++)
			if (strlen(t.p[i].driver) > (size_t)w)
				w = (int)strlen(t.p[i].driver);
		printf("      %-*s %5s  %-8s  %-5s  %-8s %s\n", w, "driver", "prio", "hw", "async",
		       "selftest", "module");
		for (i = 0; i < esf_algs_count; i++) {
			struct alg_result *r = &res[i];

			if (strcmp(r->a->name, r->a->work_alg))
				printf("  %s (content cipher %s)\n", r->a->name, r->a->work_alg);
			else
				printf("  %s\n", r->a->name);
			if (!entry_count(&t, r->a->work_alg, r->a->kind == ESF_ALGK_MIC))
				printf("    (none in /proc/crypto)\n");
			print_providers(&t, r, w);
		}
		printf("\nverdict\n");
		for (i = 0; i < esf_algs_count; i++)
			printf("%c %s\n", res[i].available ? ' ' : '!',
			       json_string_value(json_array_get(verdicts, i)));
	}
	json_decref(doc);
	if (pr.nl)
		esf_nl_close(pr.nl);
	free(t.p);
	free(res);
	return healthy ? 0 : 1;
}
