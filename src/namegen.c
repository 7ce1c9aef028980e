/*
 * Random names: Python's _RandomNameSequence.
 *
 * Names come from the OS's cryptographic generator through a buffer, so a
 * system call buys about sixty names.  The shared sequence keeps one buffer
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
/* Two characters come from 16 random bits: values at or above this are
 * skipped (1.8% of them), 64343 = 47 * 1369, so v % 1369 is uniform. */
#define PAIR_LIMIT (65536 - 65536 % NPAIRS)

/* A buffer is turned into name characters as it is filled, two at a time,
 * so that a name is a copy of eight of them: no division a character and
 * no branch on random data when drawing. */
struct pool {
	char chars[POOL_SIZE];
	size_t pos, len;  /* chars[pos..len) not yet drawn */
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

/* Fills p with characters in place: each accepted 16-bit value becomes
 * two, written no further than it was read. */
static int refill(struct pool *p, uint64_t token)
{
	unsigned char *b = (unsigned char *)p->chars;
	size_t i, n = 0;

	p->pos = p->len = 0;
	if (tfp_random_bytes(b, sizeof p->chars) < 0)
		return -1;
	for (i = 0; i + 1 < sizeof p->chars; i += 2) {
		unsigned v = (unsigned)b[i] << 8 | b[i + 1];

		memcpy(p->chars + n, pairs[v % NPAIRS], 2);
		n += v < PAIR_LIMIT ? 2 : 0;
	}
	p->len = n;
	p->token = token;
	return 0;
}

static int draw(struct pool *p, char *out)
{
	/* Read before any refill: a fork during the fill must find it stale. */
	uint64_t token = tfp_process_token();

	if (p->token != token) {
		if (!token)
			return -1;
		p->pos = p->len;
	}
	/* What is left when fewer than a name remain is dropped: which
	 * characters go depends on their count only, not their values. */
	while (p->len - p->pos < TEMPFILE_NAME_LEN)
		if (refill(p, token) < 0)
			return -1;
	memcpy(out, p->chars + p->pos, TEMPFILE_NAME_LEN);
	p->pos += TEMPFILE_NAME_LEN;
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
