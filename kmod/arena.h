/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Page arenas: kernel pages a front end keeps between batches for what it
 * must copy (a record's AAD and input on the AF_ALG socket, the associated
 * data an algorithm builds around the caller's AAD on /dev/esf), and
 * scatterlists over any array of pages (the arena's or the caller's).
 */
#ifndef _ESF_ARENA_H
#define _ESF_ARENA_H

#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/scatterlist.h>
#include <linux/types.h>

struct iov_iter;

struct esf_arena {
	struct page **pages;
	unsigned int npages, cap;
	atomic_t *charged;	/* what the owner is charged, in bytes */
};

void *esf_grow(void *old, unsigned int old_n, unsigned int new_n, size_t size,
	       atomic_t *charged);

int esf_arena_fit(struct esf_arena *a, u32 end);
void esf_arena_free(struct esf_arena *a);
u8 *esf_arena_ptr(const struct esf_arena *a, u32 off);
void esf_arena_write(struct esf_arena *a, u32 off, const void *buf, u32 len);
void esf_arena_wipe(struct esf_arena *a, u32 off, u32 len);
void esf_arena_read(const struct esf_arena *a, u32 off, void *buf, u32 len);
int esf_arena_from_iter(struct esf_arena *a, u32 off, u32 len, struct iov_iter *from);
int esf_arena_to_iter(const struct esf_arena *a, u32 off, u32 len, struct iov_iter *to);
int esf_arena_to_user(const struct esf_arena *a, u32 off, u32 len, void __user *to);

/* Bytes of @len from @off that lie in @off's page. */
static inline u32 esf_chunk(u32 off, u32 len)
{
	return min_t(u32, len, PAGE_SIZE - off % PAGE_SIZE);
}

/* Scatterlist entries @len bytes from @off of a page array take. */
static inline unsigned int esf_sg_count(u32 off, u32 len)
{
	return DIV_ROUND_UP(off % PAGE_SIZE + len, PAGE_SIZE);
}

unsigned int esf_pages_sg(struct page **pages, u32 off, u32 len, struct scatterlist *sg);

#endif /* _ESF_ARENA_H */
