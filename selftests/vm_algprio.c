// SPDX-License-Identifier: GPL-2.0
/*
 * vm_algprio: set the priority of a crypto driver through crypto_user
 * (CRYPTO_MSG_UPDATEALG), as "crconf" would. The test VM's init uses it to
 * demote the RSA that QEMU's virtio-crypto backend offers but cannot
 * compute, so that the kernel keeps using rsa-generic for module
 * signatures. A helper for the VM, not a test.
 *
 *   vm_algprio <cra_driver_name> <priority>
 */
#include <errno.h>
#include <linux/cryptouser.h>
#include <linux/netlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct req {
	struct nlmsghdr nh;
	struct crypto_user_alg alg;
	struct nlattr prio_hdr;
	__u32 prio;
};

int main(int argc, char **argv)
{
	struct req r = { 0 };
	char buf[4096];
	struct nlmsghdr *nh = (struct nlmsghdr *)buf;
	ssize_t n;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: %s <cra_driver_name> <priority>\n", argv[0]);
		return 2;
	}
	r.nh.nlmsg_len = sizeof(r);
	r.nh.nlmsg_type = CRYPTO_MSG_UPDATEALG;
	r.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	snprintf(r.alg.cru_driver_name, sizeof(r.alg.cru_driver_name), "%s", argv[1]);
	r.prio_hdr.nla_len = NLA_HDRLEN + sizeof(__u32);
	r.prio_hdr.nla_type = CRYPTOCFGA_PRIORITY_VAL;
	r.prio = (__u32)strtoul(argv[2], NULL, 0);

	fd = socket(AF_NETLINK, SOCK_RAW, NETLINK_CRYPTO);
	if (fd < 0 || send(fd, &r, sizeof(r), 0) < 0) {
		perror("vm_algprio: crypto_user");
		return 1;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	close(fd);
	if (n < (ssize_t)NLMSG_LENGTH(sizeof(struct nlmsgerr)) || nh->nlmsg_type != NLMSG_ERROR) {
		fprintf(stderr, "vm_algprio: no acknowledgement\n");
		return 1;
	}
	if (((struct nlmsgerr *)NLMSG_DATA(nh))->error) {
		errno = -((struct nlmsgerr *)NLMSG_DATA(nh))->error;
		fprintf(stderr, "vm_algprio: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	return 0;
}
