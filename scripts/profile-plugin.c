// SPDX-License-Identifier: GPL-2.0
/*
 * A QEMU TCG plugin for scripts/profile: counts the guest instructions each
 * translation block executes, exactly (each execution of a block adds its
 * instruction count, inline in the generated code), and writes one line
 * per block at exit: "<guest address, hex> <instructions> <executed>".
 *
 * Written against the plugin API of Debian 12's QEMU 7.2 (plugin version
 * 1); the few declarations it needs are below, as QEMU's header is not
 * packaged. Load it with scripts/vm-run --plugin build/profile/insn-count.so,arg=out=FILE.
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef uint64_t qemu_plugin_id_t;
struct qemu_plugin_tb;
typedef void (*tb_trans_cb_t)(qemu_plugin_id_t id, struct qemu_plugin_tb *tb);
typedef void (*udata_cb_t)(qemu_plugin_id_t id, void *userdata);

/* enum qemu_plugin_op */
#define QEMU_PLUGIN_INLINE_ADD_U64	0

void qemu_plugin_register_vcpu_tb_trans_cb(qemu_plugin_id_t id, tb_trans_cb_t cb);
size_t qemu_plugin_tb_n_insns(const struct qemu_plugin_tb *tb);
uint64_t qemu_plugin_tb_vaddr(const struct qemu_plugin_tb *tb);
void qemu_plugin_register_vcpu_tb_exec_inline(struct qemu_plugin_tb *tb, int op, void *ptr,
					      uint64_t imm);
void qemu_plugin_register_atexit_cb(qemu_plugin_id_t id, udata_cb_t cb, void *userdata);

__attribute__((visibility("default"))) int qemu_plugin_version = 1;

struct block {
	uint64_t vaddr, insns, executed;
};

/* Blocks as translated (a block translated again gets a second entry). */
#define MAX_BLOCKS	(1u << 22)

static struct block *blocks;
static unsigned int nblocks;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static const char *out_path = "insn-count.txt";

static void translated(qemu_plugin_id_t id, struct qemu_plugin_tb *tb)
{
	struct block *b = NULL;

	(void)id;
	pthread_mutex_lock(&lock);
	if (nblocks < MAX_BLOCKS)
		b = &blocks[nblocks++];
	pthread_mutex_unlock(&lock);
	if (!b)
		return;
	b->vaddr = qemu_plugin_tb_vaddr(tb);
	b->insns = qemu_plugin_tb_n_insns(tb);
	b->executed = 0;
	/* Counts instructions: the block's count at each execution. */
	qemu_plugin_register_vcpu_tb_exec_inline(tb, QEMU_PLUGIN_INLINE_ADD_U64, &b->executed,
						 b->insns);
}

static void at_exit(qemu_plugin_id_t id, void *userdata)
{
	FILE *f = fopen(out_path, "w");
	unsigned int i;

	(void)id;
	(void)userdata;
	if (!f) {
		perror(out_path);
		return;
	}
	for (i = 0; i < nblocks; i++)
		if (blocks[i].executed)
			fprintf(f, "%llx %llu %llu\n", (unsigned long long)blocks[i].vaddr,
				(unsigned long long)blocks[i].insns,
				(unsigned long long)blocks[i].executed);
	if (nblocks == MAX_BLOCKS)
		fprintf(stderr, "insn-count: more than %u blocks; the rest not counted\n",
			MAX_BLOCKS);
	fclose(f);
}

__attribute__((visibility("default")))
int qemu_plugin_install(qemu_plugin_id_t id, const void *info, int argc, char **argv)
{
	int i;

	(void)info;
	for (i = 0; i < argc; i++)
		if (!strncmp(argv[i], "out=", 4))
			out_path = strdup(argv[i] + 4);
	blocks = calloc(MAX_BLOCKS, sizeof(*blocks));
	if (!blocks)
		return -1;
	qemu_plugin_register_vcpu_tb_trans_cb(id, translated);
	qemu_plugin_register_atexit_cb(id, at_exit, NULL);
	return 0;
}
