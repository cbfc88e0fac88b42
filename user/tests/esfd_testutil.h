/* SPDX-License-Identifier: GPL-2.0 */
/* Helpers for the host tests of esfd's core (tests/test_esfd_*.c). */
#ifndef ESFD_TESTUTIL_H
#define ESFD_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/**
 * esfd_test_find() - locate a test input shipped beside the tests
 * @env: environment variable that overrides the search (a directory)
 * @rel: what to look for under each ancestor of the test binary
 *
 * Walks up from the test binary (/proc/self/exe) until @rel exists under
 * an ancestor, so the tests work from any build directory under the
 * checkout: the Wycheproof vectors in selftests/vectors, the example
 * configuration in the source tree.
 *
 * Return: a malloc()ed path of @rel's directory, or NULL.
 */
char *esfd_test_find(const char *env, const char *rel);

/**
 * esfd_test_vectors() - load a Wycheproof file
 * @name: file name under selftests/vectors/wycheproof
 *
 * Return: the parsed JSON (json_decref() it), or NULL when the vectors
 * cannot be found (set ESF_VECTORS to the vectors directory).
 */
json_t *esfd_test_vectors(const char *name);

/**
 * esfd_test_unhex() - decode a hex test vector, aborting on a bad one
 * @hex: NUL-terminated hex
 * @len: set to the number of bytes
 *
 * Return: a malloc()ed buffer (at least one byte), free() it.
 */
uint8_t *esfd_test_unhex(const char *hex, size_t *len);

/**
 * esfd_test_read_file() - read a whole file
 * @path: the file
 * @len: set to its length
 *
 * Return: a malloc()ed NUL-terminated copy, or NULL.
 */
char *esfd_test_read_file(const char *path, size_t *len);

struct esfd_randobj;

/**
 * esfd_test_randobj() - the rand object the tests know the bytes of
 * @ro: set to id "rcv-01", value 10 11 .. 1f, expiry 2030-01-01T00:00:00Z,
 *	key generation [1], protocols [12, 10]
 */
void esfd_test_randobj(struct esfd_randobj *ro);

/**
 * esfd_test_leaks() - LeakSanitizer check of this test's process
 *
 * The harness ends each test with _exit(), which skips LSan's exit-time
 * check; tests call this at their end so that a leak fails them.
 */
void esfd_test_leaks(void);

#endif /* ESFD_TESTUTIL_H */
