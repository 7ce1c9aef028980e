/* The records rmtree.c keeps per level of depth, in memory of their own.
 *
 * A few fit in the structure itself; deeper walks map anonymous memory
 * (mmap() is a plain system call: fine in a signal handler, unlike
 * malloc()), doubling it as needed.  When no memory can be had, the records
 * wrap around: the deepest ones are kept, and tfp_levels_at() says which
 * were lost, for the walk to find its way back from the top instead. */
#include "internal.h"

#include <string.h>
#include <sys/mman.h>

#if !defined(MAP_ANONYMOUS) && defined(MAP_ANON)
# define MAP_ANONYMOUS MAP_ANON
#endif

#define FIRST_MAPPED 1024

int tfp_levels_no_map;

void tfp_levels_init(struct tfp_levels *lv)
{
	memset(lv, 0, sizeof *lv);
	lv->rec = lv->inline_rec;
	lv->cap = sizeof lv->inline_rec / sizeof *lv->inline_rec;
	lv->low = 1;
}

/* Twice the room, the records kept: 0, or -1 and the records wrap. */
static int grow(struct tfp_levels *lv)
{
#ifdef MAP_ANONYMOUS
	size_t cap = lv->cap < FIRST_MAPPED ? FIRST_MAPPED : 2 * lv->cap;
	struct tfp_level *rec;

	if (tfp_levels_no_map)
		return -1;
	/* Never true: mmap() fails long before cap grows this large
	 * (excluded from coverage). */
	if (cap > (size_t)-1 / 2 / sizeof *rec) /* GCOVR_EXCL_BR_LINE */
		return -1; /* GCOVR_EXCL_LINE */
	rec = mmap(NULL, cap * sizeof *rec, PROT_READ | PROT_WRITE,
	           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rec == MAP_FAILED)
		return -1;
	memcpy(rec, lv->rec, lv->cap * sizeof *rec);
	tfp_levels_free(lv);
	lv->rec = rec;
	lv->cap = cap;
	lv->mapped = cap * sizeof *rec;
	return 0;
#else
	TFP_UNUSED(lv);
	return -1;
#endif
}

struct tfp_level *tfp_levels_push(struct tfp_levels *lv, size_t depth)
{
	struct tfp_level *l;

	if (depth == 0)
		return NULL;
	/* Grown as long as it can be, the records never wrap before. */
	if (depth > lv->cap && (lv->wraps || grow(lv) < 0)) {
		lv->wraps = 1;
		if (depth - lv->cap + 1 > lv->low)
			lv->low = depth - lv->cap + 1;
	}
	l = &lv->rec[(depth - 1) % lv->cap];
	memset(l, 0, sizeof *l);
	return l;
}

struct tfp_level *tfp_levels_at(struct tfp_levels *lv, size_t depth)
{
	if (depth == 0)
		return &lv->top;
	if (depth < lv->low)
		return NULL;
	return &lv->rec[(depth - 1) % lv->cap];
}

void tfp_levels_reset(struct tfp_levels *lv)
{
	lv->low = 1;
}

void tfp_levels_free(struct tfp_levels *lv)
{
#ifdef MAP_ANONYMOUS
	if (lv->mapped)
		munmap(lv->rec, lv->mapped);
#endif
	lv->mapped = 0;
}

void *tfp_map_anon(size_t size)
{
#ifdef MAP_ANONYMOUS
	void *p;

	if (tfp_levels_no_map)
		return NULL;
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
#else
	TFP_UNUSED(size);
	return NULL;
#endif
}

void tfp_unmap_anon(void *p, size_t size)
{
#ifdef MAP_ANONYMOUS
	if (p)
		munmap(p, size);
#else
	TFP_UNUSED(p);
	TFP_UNUSED(size);
#endif
}
