// SPDX-License-Identifier: GPL-2.0
/*
 * esf: the oneM2M End-to-End Security Framework fast path.
 *
 * This file only brings the module up and down; each concern lives in its
 * own file and exposes an init/exit pair that is called from here in order.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/init.h>
#include <linux/module.h>
#include <net/genetlink.h>

#include "dev.h"
#include "netlink.h"
#include "selftest.h"
#include "session.h"
#include "socket.h"

static int __init esf_mod_init(void)
{
	int err;

	err = esf_session_init();
	if (err)
		goto err_session;
	/* Before anything is registered: a wrong provider fails the load. */
	err = esf_selftest_run();
	if (err)
		goto err_selftest;
	err = esf_netlink_init();
	if (err)
		goto err_netlink;
	err = esf_socket_init();
	if (err)
		goto err_socket;
	err = esf_dev_init();
	if (err)
		goto err_dev;
	pr_info("version %s loaded\n", ESF_VERSION);
	return 0;

err_dev:
	esf_socket_exit();
err_socket:
	esf_netlink_exit();
err_netlink:
err_selftest:
	esf_session_exit();
err_session:
	return err;
}

static void __exit esf_mod_exit(void)
{
	esf_dev_exit();
	esf_socket_exit();
	esf_netlink_exit();
	esf_session_exit();
	pr_info("version %s unloaded\n", ESF_VERSION);
}

module_init(esf_mod_init);
module_exit(esf_mod_exit);
MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("oneM2M end-to-end security fast path");
MODULE_AUTHOR("The esf developers");
MODULE_VERSION(ESF_VERSION);
MODULE_ALIAS_GENL_FAMILY(ESF_GENL_NAME);
