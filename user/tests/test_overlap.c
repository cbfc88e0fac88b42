// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libesf's overlap check before delivery in place: the kernel leaves a
 * batch undefined when an output slot overlaps an input it may read from
 * the caller's pages, so libesf must see every such overlap (and then use
 * recvmsg()), but not refuse batches that are fine.
 */
#include <string.h>

#include "kselftest_harness.h"
#include "esf_backend.h"

static char buf[1 << 20];

/* A SEAL record sent (status 1, as kernel_batch() marks it). */
static struct esf_op rec(size_t in, size_t in_len, size_t out)
{
	return (struct esf_op){ .op = ESF_OP_SEAL, .in = buf + in, .in_len = in_len,
				.out = buf + out, .out_size = in_len + 28, .status = 1 };
}

static int overlap(struct esf_op *ops, size_t n)
{
	struct esf_span sp[3 * 8];
	size_t slots[8];
	size_t i;

	for (i = 0; i < n; i++)
		slots[i] = ops[i].in_len + ops[i].in2_len + 28;
	return esf_outputs_overlap(sp, ops, n, slots);
}

TEST(apart_is_fine)
{
	struct esf_op ops[3] = { rec(0, 4096, 100000), rec(4096, 4096, 200000),
				 rec(8192, 4096, 300000) };

	EXPECT_EQ(0, overlap(ops, 3));
}

TEST(touching_is_fine)
{
	/* The output starts right where the input ends. */
	struct esf_op ops[1] = { rec(0, 4096, 4096) };

	EXPECT_EQ(0, overlap(ops, 1));
}

TEST(in_place_is_seen)
{
	/* Output = nonce, then the ciphertext over the plaintext. */
	struct esf_op ops[1] = { rec(12, 4096, 0) };

	EXPECT_EQ(1, overlap(ops, 1));
}

TEST(across_records_is_seen)
{
	/* Record 1's output runs into record 3's input, inputs and outputs interleaved. */
	struct esf_op ops[3] = { rec(0, 4096, 10000), rec(20000, 4096, 30000),
				 rec(14000, 4096, 50000) };

	EXPECT_EQ(1, overlap(ops, 3));
}

TEST(in2_counts)
{
	struct esf_op ops[1] = { rec(0, 100, 200000) };

	/* 100 + 300 bytes: a zero-copy candidate, whose second part is under the output. */
	ops[0].in2 = buf + 200100;
	ops[0].in2_len = 300;
	EXPECT_EQ(1, overlap(ops, 1));
}

TEST(small_records_and_outputs_alone_are_fine)
{
	/* Below the floor the kernel copies: in place is fine there. */
	struct esf_op ops[2] = { rec(12, ESF_ZEROCOPY_FLOOR - 1, 0), rec(0, 4096, 0) };

	ops[1].in = buf + 500000;
	EXPECT_EQ(0, overlap(ops, 1));
	/* Two outputs over each other are the caller's business, not an overlap with input. */
	ops[0] = rec(100000, 4096, 0);
	ops[1] = rec(200000, 4096, 0);
	EXPECT_EQ(0, overlap(ops, 2));
	/* Records not sent (status other than 1) do not count. */
	ops[0] = rec(12, 4096, 0);
	ops[0].status = -ENOSPC;
	EXPECT_EQ(0, overlap(ops, 1));
}

TEST_HARNESS_MAIN
