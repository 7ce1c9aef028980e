/*
 * Random names: Python's _RandomNameSequence.
 *
 * Names come from a buffer of random bytes, 6 bytes a name.  A thread's
 * first buffer, 64 names, comes from the OS's generator along with a key;
 * the ones after it are ChaCha20's keystream for that key (chacha.c), 378
 * names a buffer for no system call.  The keystream's first 32 bytes are
 * the next buffer's key and each key is used once ("fast key erasure",
 * Bernstein 2017), and a name's bytes are zeroed as it is drawn: what is
 * in memory at any time cannot give the names drawn before it.
 *
 * Every 16 buffers (about 6,000 names) the key comes from the kernel
 * again.  That bounds what a copy of the process the token cannot see
 * shares with it: a virtual machine or a checkpoint restored twice, whose
 * kernel reseeds its own generator (vmgenid) but cannot reach this one.
 * It costs a 418-byte getrandom() per 6,112 names, under 0.2 ns a name.
 *
 * The shared sequence keeps one buffer per thread, so drawing from it
 * takes no lock.  A buffer remembers the process token (procid.c) it was
 * filled under; a child process, however it was made, has another token
 * and so takes a new key from the kernel instead of repeating its parent's
 * names.  That costs a call, two loads and a compare a name, and no system
 * call where the kernel has MADV_WIPEONFORK.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define NAME_BYTES 6
/* Names the kernel's bytes buy (a process that makes one file pays for
 * 64), and a buffer of keystream: 36 blocks, the key and 378 names. */
#define FIRST_FILL 64
#define BLOCKS_BYTES (9 * TFP_CHACHA_FOUR)
#define KEY TFP_CHACHA_KEY
/* A name reads 8 bytes and uses 6: on a big-endian machine, the last 6. */
#define SLACK (8 - NAME_BYTES)
#define MAX_FILL ((BLOCKS_BYTES - KEY - SLACK) / NAME_BYTES)
#define RESEED 16
_Static_assert(BLOCKS_BYTES % TFP_CHACHA_FOUR == 0, "whole groups of blocks");
_Static_assert(KEY + MAX_FILL * NAME_BYTES + SLACK <= BLOCKS_BYTES, "the last name's 8 bytes");
_Static_assert(KEY + FIRST_FILL * NAME_BYTES + SLACK <= BLOCKS_BYTES, "the kernel's names");
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

/* A buffer of random bytes, NAME_BYTES a name, after the key. */
struct pool {
	size_t pos, end;  /* names at bytes[pos..end) not yet drawn */
	uint64_t token;   /* never 0 once filled, so a zeroed pool is stale */
	unsigned left;    /* keystream buffers until a key from the kernel */
	unsigned char bytes[BLOCKS_BYTES]; /* the key, then the names */
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

/* Out of line: draw()'s common path then saves no registers. */
static __attribute__((noinline)) int refill(struct pool *p, uint64_t token)
{
	if (!token)
		return -1;
	p->pos = p->end = 0;
	if (p->token != token || !p->left) {
		/* A new thread's, a new process's (its parent's key must not
		 * go on in it), or the key has made RESEED buffers. */
		if (tfp_random_bytes(p->bytes, KEY + FIRST_FILL * NAME_BYTES + SLACK) < 0)
			return -1;
		p->end = KEY + FIRST_FILL * NAME_BYTES;
		p->left = RESEED;
	} else {
		/* The key is overwritten with the next one. */
		tfp_chacha20(p->bytes, p->bytes, sizeof p->bytes);
		p->end = KEY + MAX_FILL * NAME_BYTES;
		p->left--;
	}
	p->pos = KEY;
	p->token = token;
	return 0;
}

/* The next pair of digits of f into out, the rest left in f. */
#define PAIR(f, out) \
	((f) *= NPAIRS, memcpy((out), pairs[(f) >> NAME_BITS], 2), (f) &= LOW48)

/* One name from buf[0..8) into out: 0, or -1 if it is to be skipped.
 * buf[0..6) is zeroed (buf[6..8) is the next name's; on a big-endian
 * machine this one's last two bytes go with the next name). */
static inline __attribute__((always_inline)) int name_from(unsigned char *buf, char *out)
{
	uint64_t f;

	memcpy(&f, buf, sizeof f);
	memset(buf, 0, NAME_BYTES);
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
	} while (name_from(p->bytes + p->pos - NAME_BYTES, out) < 0);
	return 0;
}

/* A leaf but for the tail call: the common path saves no registers. */
static inline int draw(struct pool *p, char *out)
{
	/* Read before any refill: a fork during the fill must find it stale.
	 * (A fork from a signal handler inside this call can still give the
	 * child the name being drawn; O_EXCL takes care of that one.) */
	uint64_t token = tfp_token_now();

	if (p->token == token && p->pos != p->end) {
		p->pos += NAME_BYTES;
		if (name_from(p->bytes + p->pos - NAME_BYTES, out) == 0)
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
