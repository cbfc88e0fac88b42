// SPDX-License-Identifier: GPL-2.0
/*
 * The sizes user space says an algorithm takes are the sizes the module
 * takes. esfctl refuses a wrong key or tag size before the kernel sees it,
 * naming the algorithm and the sizes it accepts; it learns them from
 * user/common/esf_algs.c. This test builds that same file and, for every
 * algorithm in it, every key length from 1 to ESF_KEY_MAX + 1 and every
 * tag length from 1 to ESF_TAG_MAX, asks the module to create a session
 * and compares the answer with the table's. An algorithm the running
 * kernel lacks altogether (ENOENT for a size the table accepts) is
 * reported as a skip. Prints TAP.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "esf_nl.h"
#include "esf_algs.h"

static const uint8_t salt[ESF_SALT_LEN] = { 1, 2, 3, 4 };

/* 0 when the module made the session (then deleted), else its errno. */
static int try(struct esf_nl *nl, const struct esf_alg_desc *a, size_t key_len, int tag_len)
{
	static uint8_t key[ESF_KEY_MAX + 1];
	struct esf_msg m;
	uint32_t id;
	int err;

	memset(key, 0x5a, sizeof(key));
	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_NEW);
	esf_put_str(&m, ESF_A_ALG, a->name);
	esf_put(&m, ESF_A_KEY, key, key_len);
	if (a->kind != ESF_ALGK_MIC)
		esf_put(&m, ESF_A_SALT, salt, sizeof(salt));
	if (tag_len >= 0)
		esf_put_u8(&m, ESF_A_TAG_LEN, (uint8_t)tag_len);
	err = esf_nl_new_session(nl, &m, &id);
	if (err)
		return err;
	esf_msg_init(&m, nl->family, 0, ESF_CMD_SESSION_DEL);
	esf_put_u32(&m, ESF_A_SESSION_ID, id);
	esf_nl_do(nl, &m, NULL);
	return 0;
}

int main(void)
{
	struct esf_nl nl;
	char sizes[200];
	size_t i, len;
	int n = 0, failed = 0, err;

	printf("TAP version 13\n1..%zu\n", 2 * esf_algs_count);
	err = esf_nl_open(&nl);
	if (err) {
		printf("Bail out! esf netlink family: %s (is esf.ko loaded?)\n", strerror(-err));
		return 1;
	}
	for (i = 0; i < esf_algs_count; i++) {
		const struct esf_alg_desc *a = &esf_algs[i];
		int bad = 0;

		/* A kernel without the algorithm (7.x has no kw template) has
		 * no sizes to compare: both results are skips, saying why.
		 */
		err = try(&nl, a, a->probe_key_len, -1);
		if (err == -ENOENT && strstr(nl.errmsg, "not available")) {
			printf("ok %d %s: key sizes # SKIP not in this kernel: %s\n", ++n, a->name,
			       nl.errmsg);
			printf("ok %d %s: tag sizes # SKIP not in this kernel\n", ++n, a->name);
			continue;
		}

		for (len = 1; len <= ESF_KEY_MAX + 1; len++) {
			bool kernel = !try(&nl, a, len, -1);

			if (kernel != a->key_ok(a, len)) {
				printf("# %s: key of %zu bytes: module %s, table %s\n", a->name, len,
				       kernel ? "accepts" : "refuses",
				       a->key_ok(a, len) ? "accepts" : "refuses");
				bad++;
			}
		}
		printf("%sok %d %s: key sizes as the module's (%s)\n", bad ? "not " : "", ++n,
		       a->name, esf_alg_key_sizes(a, sizes, sizeof(sizes)));
		failed |= bad;
		bad = 0;
		for (len = 1; len <= ESF_TAG_MAX; len++) {
			bool kernel = !try(&nl, a, a->probe_key_len, (int)len);

			if (kernel != esf_alg_tag_ok(a, len, false)) {
				printf("# %s: tag of %zu bytes: module %s, table %s\n", a->name, len,
				       kernel ? "accepts" : "refuses",
				       esf_alg_tag_ok(a, len, false) ? "accepts" : "refuses");
				bad++;
			}
		}
		printf("%sok %d %s: tag sizes as the module's (%s)\n", bad ? "not " : "", ++n,
		       a->name, esf_alg_tag_sizes(a, false, sizes, sizeof(sizes)));
		failed |= bad;
	}
	esf_nl_close(&nl);
	return failed;
}
