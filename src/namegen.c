/*
 * Random names: Python's _RandomNameSequence.
 *
 * Names come from the OS's cryptographic generator through a buffer, so a
 * system call buys about fifty names.  The shared sequence keeps one buffer
 * per thread, so drawing from it takes no lock.  A buffer remembers the
 * process token (procid.c) it was filled under; a child process, however it
 * was made, has another token and so throws away what it inherited instead
 * of repeating its parent's names.  That costs a call, two loads and a
 * compare a name, and no system call where the kernel has MADV_WIPEONFORK.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>

#define POOL_SIZE 512
#define NCHARS 37
/* Bytes at or above this are skipped: 222 = 6 * 37, so b % 37 is uniform. */
#define BYTE_LIMIT (256 - 256 % NCHARS)

static const char name_chars[NCHARS + 1] = "abcdefghijklmnopqrstuvwxyz0123456789_";

struct pool {
	unsigned char buf[POOL_SIZE];
	size_t pos;
	uint64_t token; /* never 0 once filled, so a zeroed pool is stale */
};

struct tempfile_names {
	struct pool pool;
};

static _Thread_local struct pool thread_pool;
/* The shared sequence: a handle only, its draws use thread_pool. */
static struct tempfile_names shared_names;

int (*tfp_name_hook)(char *out);

static int draw(struct pool *p, char *out)
{
	/* Read before any refill: a fork during the fill must find it stale. */
	uint64_t token = tfp_process_token();
	size_t i = 0;

	if (p->token != token) {
		if (!token)
			return -1;
		p->pos = POOL_SIZE;
	}
	while (i < TEMPFILE_NAME_LEN) {
		unsigned b;

		if (p->pos == POOL_SIZE) {
			if (tfp_random_bytes(p->buf, sizeof p->buf) < 0)
				return -1;
			p->pos = 0;
			p->token = token;
		}
		b = p->buf[p->pos++];
		if (b < BYTE_LIMIT)
			out[i++] = name_chars[b % NCHARS];
	}
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
