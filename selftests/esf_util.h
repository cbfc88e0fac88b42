/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the esf selftests: loading the module under test and
 * reading the kernel log. Header-only so that each test stays one program.
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
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

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

#endif /* ESF_SELFTEST_UTIL_H */
