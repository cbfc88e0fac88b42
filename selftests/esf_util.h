/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the esf selftests: loading the module under test,
 * reading the kernel log and naming the kernel's crypto drivers.
 * Header-only so that each test stays one program.
 */
#ifndef ESF_SELFTEST_UTIL_H
#define ESF_SELFTEST_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <linux/if_alg.h>

#ifndef AF_ALG
#define AF_ALG 38
#endif

/* Taint bits 12 (O, out-of-tree) and 13 (E, unsigned module). */
#define ESF_TAINT_ALLOWED ((1UL << 12) | (1UL << 13))

static inline const char *esf_module_path(void)
{
	static char path[PATH_MAX];
	struct utsname u;
	const char *env = getenv("ESF_KO");

	if (env && *env)
		return env;
	uname(&u);
	snprintf(path, sizeof(path), "/lib/modules/%s/extra/esf.ko", u.release);
	return path;
}

/*
 * finit_module() does not resolve dependencies as modprobe does: load
 * af_alg, whose symbols esf.ko uses, first (a no-op where it is built in
 * or already loaded).
 */
static inline void esf_module_deps(void)
{
	if (access("/sys/module/af_alg", F_OK) &&
	    system("modprobe -q af_alg >/dev/null 2>&1") != 0)
		fprintf(stderr, "# modprobe af_alg failed\n");
}

/* Returns 0 or -1 with errno set, like the syscalls it wraps. */
static inline int esf_module_load_params(const char *params)
{
	int fd, ret, saved;

	esf_module_deps();
	fd = open(esf_module_path(), O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ret = syscall(SYS_finit_module, fd, params, 0);
	saved = errno;
	close(fd);
	errno = saved;
	return ret ? -1 : 0;
}

static inline int esf_module_load(void)
{
	return esf_module_load_params("");
}

static inline int esf_module_unload(void)
{
	return syscall(SYS_delete_module, "esf", O_NONBLOCK) ? -1 : 0;
}

static inline int esf_module_ensure_loaded(void)
{
	if (access("/sys/module/esf", F_OK) == 0)
		return 0;
	return esf_module_load();
}

/* Read a one-line sysfs/procfs file without its newline. */
static inline int esf_sysfs_read(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");
	int ret = 0;

	if (!f)
		return -errno;
	if (!fgets(buf, (int)len, f))
		ret = -EIO;
	fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return ret;
}

/* Write a one-line sysfs file (a module parameter, say). */
static inline int esf_sysfs_write(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ret = 0;

	if (!f)
		return -errno;
	if (fputs(val, f) < 0)
		ret = -EIO;
	if (fclose(f) && !ret)
		ret = -errno;
	return ret;
}

/* Open /dev/kmsg positioned after the last record already logged. */
static inline int esf_kmsg_open(void)
{
	int fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);

	if (fd >= 0)
		lseek(fd, 0, SEEK_END);
	return fd;
}

/* Whether a record logged since esf_kmsg_open() contains @needle. */
static inline bool esf_kmsg_find(int fd, const char *needle)
{
	char rec[2048];
	ssize_t n;

	for (;;) {
		n = read(fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)	/* overwritten records: go on */
			continue;
		if (n <= 0)
			return false;
		rec[n] = '\0';
		if (strstr(rec, needle))
			return true;
	}
}

/* Crypto drivers ----------------------------------------------------------- */

/* Whether /proc/crypto lists a driver of that name. */
static inline bool esf_have_driver(const char *drv)
{
	char line[256], want[160];
	bool found = false;
	FILE *f = fopen("/proc/crypto", "r");

	if (!f)
		return false;
	snprintf(want, sizeof(want), "driver       : %s\n", drv);
	while (!found && fgets(line, sizeof(line), f))
		found = !strcmp(line, want);
	fclose(f);
	return found;
}

/*
 * 0 when the kernel's own AF_ALG type @type ("hash", "skcipher", "aead")
 * binds @name, else -errno. The bind loads the modules the name needs.
 */
static inline int esf_alg_bind(const char *type, const char *name)
{
	struct sockaddr_alg sa = { .salg_family = AF_ALG };
	int fd, err = 0;

	if (strlen(type) >= sizeof(sa.salg_type) || strlen(name) >= sizeof(sa.salg_name))
		return -ENAMETOOLONG;
	memcpy(sa.salg_type, type, strlen(type));
	memcpy(sa.salg_name, name, strlen(name));
	fd = socket(AF_ALG, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)))
		err = -errno;
	close(fd);
	return err;
}

/*
 * The kernel's software (plain C) drivers, as a driver name that pins them
 * inside a template: 5.10 to 6.12 have sha256-generic, aes-generic and
 * ghash-generic (built in or as modules), and HMAC over the first is the
 * instance hmac(sha256-generic); 7.x serves them from the crypto library
 * as hmac-sha256-lib and aes-lib, and GHASH as ghash-lib, which gcm_base()
 * takes by that name though no AF_ALG type reaches it.
 */
static inline const char *esf_sw_hmac_sha256(void)
{
	return esf_alg_bind("hash", "sha256-generic") ? "hmac-sha256-lib" : "hmac(sha256-generic)";
}

static inline const char *esf_sw_aes(void)
{
	return esf_alg_bind("skcipher", "ecb(aes-generic)") ? "aes-lib" : "aes-generic";
}

static inline const char *esf_sw_ghash(void)
{
	return esf_alg_bind("hash", "ghash-generic") ? "ghash-lib" : "ghash-generic";
}

/* authenc(hmac(sha256),cbc(aes)) with its CBC on the virtio-crypto device. */
static inline const char *esf_authenc_virtio(void)
{
	static char name[128];

	snprintf(name, sizeof(name), "authenc(%s,virtio_crypto_aes_cbc)", esf_sw_hmac_sha256());
	return name;
}

/* The same entirely in software on the CPU. */
static inline const char *esf_authenc_cpu(void)
{
	static char name[128];

	snprintf(name, sizeof(name), "authenc(%s,cbc(%s))", esf_sw_hmac_sha256(), esf_sw_aes());
	return name;
}

#endif /* ESF_SELFTEST_UTIL_H */
