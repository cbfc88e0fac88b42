// SPDX-License-Identifier: GPL-2.0
/* Helpers for the host tests of esfd's core. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sanitizer/lsan_interface.h>

#include "../esfd/enc.h"
#include "../esfd/randobj.h"
#include "esfd_testutil.h"

static bool exists(const char *dir, const char *rel)
{
	char path[PATH_MAX * 2];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	return stat(path, &st) == 0;
}

/* @rel under @start or one of its ancestors; @start is clobbered. */
static char *find_up(char *start, const char *rel)
{
	char *slash, *out;

	for (;;) {
		if (exists(start, rel)) {
			out = malloc(strlen(start) + strlen(rel) + 2);
			if (out)
				sprintf(out, "%s/%s", start, rel);
			return out;
		}
		slash = strrchr(start, '/');
		if (!slash || slash == start)
			return NULL;
		*slash = '\0';
	}
}

char *esfd_test_find(const char *env, const char *rel)
{
	char dir[PATH_MAX];
	const char *e = getenv(env);
	ssize_t n;
	char *out = NULL;

	if (e && *e)
		return strdup(e);
	/* From the binary first, then from where make runs it (user/). */
	n = readlink("/proc/self/exe", dir, sizeof(dir) - 1);
	if (n > 0) {
		dir[n] = '\0';
		out = find_up(dir, rel);
	}
	if (!out && getcwd(dir, sizeof(dir)))
		out = find_up(dir, rel);
	return out;
}

json_t *esfd_test_vectors(const char *name)
{
	char *dir = esfd_test_find("ESF_VECTORS", "selftests/vectors");
	char path[PATH_MAX * 2];
	json_error_t err;
	json_t *j;

	if (!dir) {
		fprintf(stderr, "# Wycheproof vectors not found: set ESF_VECTORS "
			"to the selftests/vectors directory\n");
		return NULL;
	}
	snprintf(path, sizeof(path), "%s/wycheproof/%s", dir, name);
	free(dir);
	j = json_load_file(path, 0, &err);
	if (!j)
		fprintf(stderr, "# %s: %s\n", path, err.text);
	return j;
}

uint8_t *esfd_test_unhex(const char *hex, size_t *len)
{
	size_t n = strlen(hex);
	uint8_t *out = malloc(n / 2 + 1);

	if (!out || esfd_hex_decode(hex, n, out, n / 2 + 1, len)) {
		fprintf(stderr, "bad hex test vector: %s\n", hex);
		abort();
	}
	return out;
}

char *esfd_test_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1))) {
		*len = fread(buf, 1, (size_t)n, f);
		buf[*len] = '\0';
	}
	fclose(f);
	return buf;
}

#ifndef __has_feature
#define __has_feature(x) 0
#endif

void esfd_test_leaks(void)
{
	/* Built without ASan (a guest run, say), there is no LSan to ask. */
#if defined(__SANITIZE_ADDRESS__) || __has_feature(address_sanitizer)
	__lsan_do_leak_check();
#endif
}

void esfd_test_randobj(struct esfd_randobj *ro)
{
	size_t i;

	memset(ro, 0, sizeof(*ro));
	strcpy(ro->id, "rcv-01");
	for (i = 0; i < 16; i++)
		ro->value[i] = (uint8_t)(0x10 + i);
	ro->expiry = 1893456000LL;	/* 2030-01-01T00:00:00Z */
	ro->n_keygen = 1;
	ro->keygen[0] = 1;
	ro->n_prot = 2;
	ro->prot[0] = 12;
	ro->prot[1] = 10;
}
