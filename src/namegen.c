/*
 * Random names: Python's _RandomNameSequence.
 *
 * Names come from the OS's cryptographic generator through a buffer, 6
 * bytes a name (the kernel's time goes by the byte), so a system call buys
 * 64 names at first and up to 340 once a thread has used a few buffers.
 * The shared sequence keeps one buffer per thread, so drawing from it
 * takes no lock.  A buffer remembers the
 * process token (procid.c) it was filled under; a child process, however it
 * was made, has another token and so throws away what it inherited instead
 * of repeating its parent's names.  That costs a call, two loads and a
 * compare a name, and no system call where the kernel has MADV_WIPEONFORK.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Names a fill buys: the first, and at most (a process that makes one
 * file pays for 64 names, a busy one a system call per 340). */
#define FIRST_FILL 64
#define MAX_FILL 340
#define NAME_BYTES 6
/* A name reads 8 bytes and uses 6: on a big-endian machine, the last 6. */
#define POOL_SIZE (MAX_FILL * NAME_BYTES + 8 - NAME_BYTES)
#define NCHARS 37
#define NPAIRS (NCHARS * NCHARS)
/* A name is a number below 37^8 written in base 37, from 48 random bits
 * r by Lemire's multiply-and-skip ("Fast random integer generation in an
 * interval", 2019): r * 37^8 / 2^48 is the number, uniform once the
 * products whose low 48 bits fall below 2^48 mod 37^8 (one in 590) are
 * skipped.  Its digits come off as in long multiplication, two at a time:
 * f = r * 37^2 has the first pair above bit 48 and keeps the rest below,
 * and after four pairs what is left below is those low 48 bits.  A 64-bit
 * multiply a pair, no division, and 6 bytes a name (37^8 < 2^42). */
#define NAME_BITS 48
#define LOW48 ((UINT64_C(1) << NAME_BITS) - 1)
#define NAME_RANGE UINT64_C(3512479453921) /* 37^8 */
#define NAME_SKIP ((UINT64_C(1) << NAME_BITS) % NAME_RANGE)
_Static_assert(TEMPFILE_NAME_LEN == 8, "eight digits below 37^8");

/* A buffer of random bytes, NAME_BYTES a name. */
struct pool {
	size_t pos, end;  /* names at buf[pos..end) not yet drawn */
	uint64_t token;   /* never 0 once filled, so a zeroed pool is stale */
	size_t fill;      /* names the next fill buys; 0: FIRST_FILL */
	unsigned char buf[POOL_SIZE];
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

/* Out of line: draw()'s common path then saves no registers.  A pool
 * that another process filled (its token is another's) starts small
 * again, as a new one does. */
static __attribute__((noinline)) int refill(struct pool *p, uint64_t token)
{
	size_t names;

	if (!token)
		return -1;
	if (p->token != token)
		p->fill = 0;
	names = p->fill ? p->fill : FIRST_FILL;
	p->pos = p->end = 0;
	if (tfp_random_bytes(p->buf, names * NAME_BYTES + 8 - NAME_BYTES) < 0)
		return -1;
	p->end = names * NAME_BYTES;
	p->token = token;
	p->fill = names * 2 < MAX_FILL ? names * 2 : MAX_FILL;
	return 0;
}

/* The next pair of digits of f into out, the rest left in f. */
#define PAIR(f, out) \
	((f) *= NPAIRS, memcpy((out), pairs[(f) >> NAME_BITS], 2), (f) &= LOW48)

/* One name from buf[0..8) into out: 0, or -1 if it is to be skipped. */
static inline __attribute__((always_inline)) int name_from(const unsigned char *buf, char *out)
{
	uint64_t f;

	memcpy(&f, buf, sizeof f);
	f &= LOW48;
	PAIR(f, out);
	PAIR(f, out + 2);
	PAIR(f, out + 4);
	PAIR(f, out + 6);
	return f < NAME_SKIP ? -1 : 0;
}

/* The rest of draw(): a refill, or a skipped name. */
static __attribute__((noinline)) int draw_more(struct pool *p, char *out, uint64_t token)
{
	do {
		if ((p->token != token || p->pos == p->end) && refill(p, token) < 0)
			return -1;
		p->pos += NAME_BYTES;
	} while (name_from(p->buf + p->pos - NAME_BYTES, out) < 0);
	return 0;
}

/* A leaf but for the tail call: the common path saves no registers. */
static inline int draw(struct pool *p, char *out)
{
	/* Read before any refill: a fork during the fill must find it stale. */
	uint64_t token = tfp_token_now();

	if (p->token == token && p->pos != p->end) {
		p->pos += NAME_BYTES;
		if (name_from(p->buf + p->pos - NAME_BYTES, out) == 0)
			return 0;
	}
	return draw_more(p, out, token);
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
