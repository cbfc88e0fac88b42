// SPDX-License-Identifier: GPL-2.0
/*
 * Page arenas and scatterlists over page arrays.
 *
 * An arena is pages, filled from offset 0, so copies go through the page
 * helpers: their bounds are the page's, which esf_chunk() respects, and
 * they spare every small copy the hardened-usercopy object lookup that
 * costs as much as a 64-byte copy.
 */

#include <linux/highmem.h>
#include <linux/slab.h>
#include <linux/uio.h>

#include "arena.h"

/* A bigger copy of an array, with what it adds charged to its owner. */
void *esf_grow(void *old, unsigned int old_n, unsigned int new_n, size_t size,
	       atomic_t *charged)
{
	void *p = kvcalloc(new_n, size, GFP_KERNEL_ACCOUNT);

	if (!p)
		return NULL;
	if (old)
		memcpy(p, old, old_n * size);
	kvfree(old);
	atomic_add((int)((long)(new_n - old_n) * size), charged);
	return p;
}

/* Pages for @end bytes. */
int esf_arena_fit(struct esf_arena *a, u32 end)
{
	unsigned int need = DIV_ROUND_UP(end, PAGE_SIZE), cap;
	struct page **p;

	if (need > a->cap) {
		cap = max(need, 2 * a->cap);
		p = esf_grow(a->pages, a->cap, cap, sizeof(*p), a->charged);
		if (!p)
			return -ENOMEM;
		a->cap = cap;
		a->pages = p;
	}
	while (a->npages < need) {
		/* Lowmem: page_address() must work, and drivers may DMA it. */
		a->pages[a->npages] = alloc_page(GFP_KERNEL_ACCOUNT);
		if (!a->pages[a->npages])
			return -ENOMEM;
		a->npages++;
		atomic_add(PAGE_SIZE, a->charged);
	}
	return 0;
}

/* Plaintext must not outlive the arena in free pages. */
void esf_arena_free(struct esf_arena *a)
{
	unsigned int i;

	for (i = 0; i < a->npages; i++) {
		clear_page(page_address(a->pages[i]));
		__free_page(a->pages[i]);
	}
	kvfree(a->pages);
	a->pages = NULL;
	a->npages = 0;
	a->cap = 0;
}

u8 *esf_arena_ptr(const struct esf_arena *a, u32 off)
{
	return page_address(a->pages[off / PAGE_SIZE]) + off % PAGE_SIZE;
}

void esf_arena_write(struct esf_arena *a, u32 off, const void *buf, u32 len)
{
	while (len) {
		u32 n = esf_chunk(off, len);

		memcpy(esf_arena_ptr(a, off), buf, n);
		buf += n;
		off += n;
		len -= n;
	}
}

/* Plaintext the kernel kept for itself (re-seal): gone before reuse. */
void esf_arena_wipe(struct esf_arena *a, u32 off, u32 len)
{
	while (len) {
		u32 n = esf_chunk(off, len);

		memzero_explicit(esf_arena_ptr(a, off), n);
		off += n;
		len -= n;
	}
}

void esf_arena_read(const struct esf_arena *a, u32 off, void *buf, u32 len)
{
	while (len) {
		u32 n = esf_chunk(off, len);

		memcpy(buf, esf_arena_ptr(a, off), n);
		buf += n;
		off += n;
		len -= n;
	}
}

int esf_arena_from_iter(struct esf_arena *a, u32 off, u32 len, struct iov_iter *from)
{
	while (len) {
		u32 n = esf_chunk(off, len);

		if (copy_page_from_iter(a->pages[off / PAGE_SIZE], off % PAGE_SIZE, n,
					from) != n)
			return -EFAULT;
		off += n;
		len -= n;
	}
	return 0;
}

int esf_arena_to_iter(const struct esf_arena *a, u32 off, u32 len, struct iov_iter *to)
{
	while (len) {
		u32 n = esf_chunk(off, len);

		if (copy_page_to_iter(a->pages[off / PAGE_SIZE], off % PAGE_SIZE, n, to) != n)
			return -EFAULT;
		off += n;
		len -= n;
	}
	return 0;
}

int esf_arena_to_user(const struct esf_arena *a, u32 off, u32 len, void __user *to)
{
	while (len) {
		u32 n = esf_chunk(off, len);

		if (copy_to_user(to, esf_arena_ptr(a, off), n))
			return -EFAULT;
		to += n;
		off += n;
		len -= n;
	}
	return 0;
}

/* Entries for @len bytes from @off of @pages; returns how many. */
unsigned int esf_pages_sg(struct page **pages, u32 off, u32 len, struct scatterlist *sg)
{
	unsigned int i = 0, n = esf_sg_count(off, len);

	while (i < n) {
		u32 c = esf_chunk(off, len);

		sg_set_page(&sg[i++], pages[off / PAGE_SIZE], c, off % PAGE_SIZE);
		off += c;
		len -= c;
	}
	return n;
}
