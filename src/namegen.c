/*
 * Random names: Python's _RandomNameSequence.
 *
 * Names come from the OS's cryptographic generator through a buffer, so a
 * system call buys 64 names.  The shared sequence keeps one buffer
 * per thread, so drawing from it takes no lock.  A buffer remembers the
 * process token (procid.c) it was filled under; a child process, however it
 * was made, has another token and so throws away what it inherited instead
 * of repeating its parent's names.  That costs a call, two loads and a
 * compare a name, and no system call where the kernel has MADV_WIPEONFORK.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define POOL_SIZE 512
#define NCHARS 37
#define NPAIRS (NCHARS * NCHARS)
/* A name is a number below 37^8 written in base 37, from 64 random bits
 * by Lemire's multiply-and-skip ("Fast random integer generation in an
 * interval", 2019): of r * 37^8, the high 64 bits are the number, uniform
 * once the products whose low 64 bits fall below 2^64 mod 37^8 (one in
 * six million) are skipped.  No division a character, and 8 bytes a name. */
#define NAME_RANGE UINT64_C(3512479453921) /* 37^8 */
#define NAME_SKIP ((uint64_t)-NAME_RANGE % NAME_RANGE)
_Static_assert(TEMPFILE_NAME_LEN == 8, "draw() writes four pairs");

/* A buffer of random bytes, 8 a name. */
struct pool {
	unsigned char buf[POOL_SIZE];
	size_t pos;       /* buf[pos..] not yet drawn */
	uint64_t token;   /* never 0 once filled, so a zeroed pool is stale */
};

struct tempfile_names {
	struct pool pool;
};

static _Thread_local struct pool thread_pool;
/* The shared sequence: a handle only, its draws use thread_pool. */
static struct tempfile_names shared_names;

int (*tfp_name_hook)(char *out);

/* Every pair of characters of "abcdefghijklmnopqrstuvwxyz0123456789_"
 * (Python's), pair i being characters i / 37 and i % 37, so that two cost
 * one lookup. */
#define ROW(c) \
	{ c, 'a' }, { c, 'b' }, { c, 'c' }, { c, 'd' }, { c, 'e' }, { c, 'f' }, \
	{ c, 'g' }, { c, 'h' }, { c, 'i' }, { c, 'j' }, { c, 'k' }, { c, 'l' }, \
	{ c, 'm' }, { c, 'n' }, { c, 'o' }, { c, 'p' }, { c, 'q' }, { c, 'r' }, \
	{ c, 's' }, { c, 't' }, { c, 'u' }, { c, 'v' }, { c, 'w' }, { c, 'x' }, \
	{ c, 'y' }, { c, 'z' }, { c, '0' }, { c, '1' }, { c, '2' }, { c, '3' }, \
	{ c, '4' }, { c, '5' }, { c, '6' }, { c, '7' }, { c, '8' }, { c, '9' }, \
	{ c, '_' }
static const char pairs[NPAIRS][2] = {
	ROW('a'), ROW('b'), ROW('c'), ROW('d'), ROW('e'), ROW('f'), ROW('g'), ROW('h'),
	ROW('i'), ROW('j'), ROW('k'), ROW('l'), ROW('m'), ROW('n'), ROW('o'), ROW('p'),
	ROW('q'), ROW('r'), ROW('s'), ROW('t'), ROW('u'), ROW('v'), ROW('w'), ROW('x'),
	ROW('y'), ROW('z'), ROW('0'), ROW('1'), ROW('2'), ROW('3'), ROW('4'), ROW('5'),
	ROW('6'), ROW('7'), ROW('8'), ROW('9'), ROW('_')
};
#undef ROW

static uint64_t mul_hi_lo(uint64_t a, uint64_t b, uint64_t *lo)
{
#ifdef __SIZEOF_INT128__
	unsigned __int128 m = (unsigned __int128)a * b;

	*lo = (uint64_t)m;
	return (uint64_t)(m >> 64);
#else
	uint64_t a0 = a & 0xffffffff, a1 = a >> 32, b0 = b & 0xffffffff, b1 = b >> 32;
	uint64_t p00 = a0 * b0, p01 = a0 * b1, p10 = a1 * b0, p11 = a1 * b1;
	uint64_t mid = (p00 >> 32) + (p01 & 0xffffffff) + (p10 & 0xffffffff);

	*lo = (mid << 32) | (p00 & 0xffffffff);
	return p11 + (p01 >> 32) + (p10 >> 32) + (mid >> 32);
#endif
}

/* Out of line: draw()'s common path then saves no registers. */
static __attribute__((noinline)) int refill(struct pool *p, uint64_t token)
{
	p->pos = POOL_SIZE;
	if (tfp_random_bytes(p->buf, sizeof p->buf) < 0)
		return -1;
	p->pos = 0;
	p->token = token;
	return 0;
}

static int draw(struct pool *p, char *out)
{
	/* Read before any refill: a fork during the fill must find it stale. */
	uint64_t token = tfp_process_token();
	uint64_t r, n, lo, hi4;

	if (p->token != token) {
		if (!token)
			return -1;
		p->pos = POOL_SIZE;
	}
	do {
		if (p->pos == POOL_SIZE && refill(p, token) < 0)
			return -1;
		memcpy(&r, p->buf + p->pos, sizeof r);
		p->pos += sizeof r;
		n = mul_hi_lo(r, NAME_RANGE, &lo);
	} while (lo < NAME_SKIP);
	hi4 = n / (NPAIRS * NPAIRS);
	n %= NPAIRS * NPAIRS;
	memcpy(out, pairs[hi4 / NPAIRS], 2);
	memcpy(out + 2, pairs[hi4 % NPAIRS], 2);
	memcpy(out + 4, pairs[n / NPAIRS], 2);
	memcpy(out + 6, pairs[n % NPAIRS], 2);
	return 0;
}

tempfile_names *tempfile_names_new(void)
{
	tempfile_names *names = calloc(1, sizeof *names);

	if (!names)
		errno = ENOMEM;
	return names;
}

int tempfile_names_next(tempfile_names *names, char *buf, size_t size)
{
	if (!names || !buf) {
		errno = EINVAL;
		return -1;
	}
	if (size < TEMPFILE_NAME_LEN + 1) {
		errno = ERANGE;
		return -1;
	}
	if (draw(names == &shared_names ? &thread_pool : &names->pool, buf) < 0)
		return -1;
	buf[TEMPFILE_NAME_LEN] = '\0';
	return 0;
}

void tempfile_names_free(tempfile_names *names)
{
	if (names != &shared_names)
		free(names);
}

tempfile_names *tempfile_candidate_names(void)
{
	return &shared_names;
}

int tfp_next_name(char *out)
{
	if (tfp_name_hook)
		return tfp_name_hook(out);
	return draw(&thread_pool, out);
}
