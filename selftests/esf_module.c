// SPDX-License-Identifier: GPL-2.0
/*
 * esf.ko load, unload and reload.
 *
 * The module under test is $ESF_KO, or esf.ko in the running kernel's
 * module tree (where the VM runner and "make modules_install" put it).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include "kselftest_harness.h"
#include "esf_util.h"

TEST(load_logs_version)
{
	char want[128], ver[64];
	int kmsg;

	if (esf_module_unload() && errno != ENOENT)
		SKIP(return, "esf.ko is loaded and busy: %s", strerror(errno));
	kmsg = esf_kmsg_open();
	ASSERT_LE(0, kmsg);

	ASSERT_EQ(0, esf_module_load()) TH_LOG("load: %s", strerror(errno));
	ASSERT_EQ(0, esf_sysfs_read("/sys/module/esf/version", ver, sizeof(ver)));
	EXPECT_STREQ(ESF_VERSION, ver);

	snprintf(want, sizeof(want), "esf: version %s loaded", ESF_VERSION);
	EXPECT_TRUE(esf_kmsg_find(kmsg, want)) TH_LOG("no '%s' in kmsg", want);
	close(kmsg);
}

TEST(second_load_is_eexist)
{
	ASSERT_EQ(0, esf_module_ensure_loaded());
	EXPECT_EQ(-1, esf_module_load());
	EXPECT_EQ(EEXIST, errno);
}

TEST(unload_removes_module)
{
	char want[128];
	int kmsg;

	ASSERT_EQ(0, esf_module_ensure_loaded());
	kmsg = esf_kmsg_open();
	ASSERT_LE(0, kmsg);
	ASSERT_EQ(0, esf_module_unload()) TH_LOG("unload: %s", strerror(errno));
	EXPECT_EQ(-1, access("/sys/module/esf", F_OK));
	snprintf(want, sizeof(want), "esf: version %s unloaded", ESF_VERSION);
	EXPECT_TRUE(esf_kmsg_find(kmsg, want)) TH_LOG("no '%s' in kmsg", want);
	close(kmsg);
	EXPECT_EQ(-1, esf_module_unload());
	EXPECT_EQ(ENOENT, errno);
}

/* Only for TEST_F_TIMEOUT: plain TESTs get the harness's 30 seconds. */
FIXTURE(slow) {
	int unused;
};

FIXTURE_SETUP(slow)
{
}

FIXTURE_TEARDOWN(slow)
{
}

/* The known-answer tests have their own test; here they would only slow
 * every cycle down.
 */
TEST_F_TIMEOUT(slow, reload_cycles, 120)
{
	int i;

	if (esf_module_unload() && errno != ENOENT)
		SKIP(return, "esf.ko is loaded and busy: %s", strerror(errno));
	for (i = 0; i < 25; i++) {
		ASSERT_EQ(0, esf_module_load_params("selftest=0"))
			TH_LOG("cycle %d: %s", i, strerror(errno));
		ASSERT_EQ(0, esf_module_unload()) TH_LOG("cycle %d: %s", i, strerror(errno));
	}
	ASSERT_EQ(0, esf_module_load());
}

/* The known-answer tests run at every load and say how they went. */
TEST_F_TIMEOUT(slow, selftest_result_reported, 120)
{
	char res[256];
	int kmsg;

	if (esf_module_unload() && errno != ENOENT)
		SKIP(return, "esf.ko is loaded and busy: %s", strerror(errno));
	kmsg = esf_kmsg_open();
	ASSERT_EQ(0, esf_module_load());
	ASSERT_EQ(0, esf_sysfs_read("/sys/module/esf/parameters/selftest_result", res,
				    sizeof(res)));
	EXPECT_STREQ("passed 8/8", res);
	EXPECT_TRUE(esf_kmsg_find(kmsg, "esf: self-tests passed 8/8"));
	close(kmsg);
}

/* A provider that answers wrongly keeps the module from loading, and the
 * kernel log says which algorithm, on which driver, failed which check.
 */
TEST_F_TIMEOUT(slow, wrong_answer_fails_the_load, 120)
{
	int kmsg;

	if (esf_module_unload() && errno != ENOENT)
		SKIP(return, "esf.ko is loaded and busy: %s", strerror(errno));
	kmsg = esf_kmsg_open();
	ASSERT_LE(0, kmsg);
	EXPECT_EQ(-1, esf_module_load_params("selftest_fault=hmac(sha384)"));
	EXPECT_EQ(EIO, errno);
	EXPECT_EQ(-1, access("/sys/module/esf", F_OK));
	EXPECT_TRUE(esf_kmsg_find(kmsg, "FAILED: SIGN gave a wrong tag (hmac_sha384_test.json tcId 17)"));
	close(kmsg);
	ASSERT_EQ(0, esf_module_load());
}

/* Loading esf may taint the kernel only as out-of-tree (O) and unsigned (E). */
TEST(taint_only_out_of_tree)
{
	char buf[32];
	unsigned long taint;

	ASSERT_EQ(0, esf_module_ensure_loaded());
	ASSERT_EQ(0, esf_sysfs_read("/proc/sys/kernel/tainted", buf, sizeof(buf)));
	taint = strtoul(buf, NULL, 10);
	EXPECT_EQ(0UL, taint & ~ESF_TAINT_ALLOWED) TH_LOG("tainted=%lu", taint);
}

TEST_HARNESS_MAIN
