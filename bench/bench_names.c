/*
 * The cost of one random name: libtempfile's sequences against the
 * arithmetic floor (eight characters taken from a buffer of random bytes
 * made ready beforehand, unbiased as the library is: bytes at or above
 * 222 = 6 * 37 skipped) and against generators that ask for randomness
 * for every name (getrandom(), arc4random_buf() where there is one).
 *
 * glibc's own generator is not here: it runs only inside mkstemp(),
 * mkdtemp() and mktemp(), each of which also touches the file system for
 * the name, so it cannot be timed apart; bench_mkstemp compares the whole
 * calls instead.
 *
 * System calls per name are counted by bench/run.sh from outside (strace),
 * instructions per name under callgrind.  Expected for the library: 6
 * random bytes a name, a getrandom() for the first 64 names and then one
 * per 512 buffers of 378 names of ChaCha20 keystream (src/namegen.c).
 *
 * Usage: bench_names [-q] [CASE N]
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
# include <sys/random.h>
#endif

#include <tempfile.h>

#include "bench.h"

#define MAX_BATCH (1L << 20)
#define READY_SIZE 65536

static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
static tempfile_names *private_names;
static unsigned char ready[READY_SIZE];
static size_t ready_pos;
/* Written by every case so that the compiler cannot drop the names. */
static volatile char sink;

/* The floor.  Not inlined, so that callgrind finds it, and each case pays
 * one call a name as the library's do. */
static __attribute__((noinline)) void floor_name(char *out)
{
	size_t have = 0;

	while (have < TEMPFILE_NAME_LEN) {
		unsigned b = ready[ready_pos];

		ready_pos = (ready_pos + 1) % READY_SIZE;
		if (b < 222)
			out[have++] = chars[b % 37];
	}
}

static int run_floor(long n)
{
	char buf[TEMPFILE_NAME_LEN];

	while (n-- > 0) {
		floor_name(buf);
		sink = buf[0];
	}
	return 0;
}

static int draw(tempfile_names *names, long n)
{
	char buf[TEMPFILE_NAME_LEN + 1];

	while (n-- > 0) {
		if (tempfile_names_next(names, buf, sizeof buf) < 0)
			return -1;
		sink = buf[0];
	}
	return 0;
}

static int run_shared(long n)
{
	return draw(tempfile_candidate_names(), n);
}

static int run_private(long n)
{
	return draw(private_names, n);
}

#if (defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)) || defined(HAVE_ARC4RANDOM_BUF)
/* Eight characters from 8 bytes at a time, asking again for those
 * skipped: the obvious generator with no buffer. */
static __attribute__((noinline)) int per_name(char *out, int (*fill)(unsigned char *b, size_t n))
{
	unsigned char b[TEMPFILE_NAME_LEN];
	size_t have = 0, i, want;

	while (have < TEMPFILE_NAME_LEN) {
		want = TEMPFILE_NAME_LEN - have;
		if (fill(b, want) < 0)
			return -1;
		for (i = 0; i < want; i++)
			if (b[i] < 222)
				out[have++] = chars[b[i] % 37];
	}
	return 0;
}

static int run_per_name(long n, int (*fill)(unsigned char *b, size_t n))
{
	char buf[TEMPFILE_NAME_LEN];

	while (n-- > 0) {
		if (per_name(buf, fill) < 0)
			return -1;
		sink = buf[0];
	}
	return 0;
}
#endif

#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
static int fill_getrandom(unsigned char *b, size_t n)
{
	while (n > 0) {
		ssize_t got = getrandom(b, n, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		b += got;
		n -= (size_t)got;
	}
	return 0;
}

static int run_getrandom(long n)
{
	return run_per_name(n, fill_getrandom);
}
#endif

#ifdef HAVE_ARC4RANDOM_BUF
static int fill_arc4random(unsigned char *b, size_t n)
{
	arc4random_buf(b, n);
	return 0;
}

static int run_arc4random(long n)
{
	return run_per_name(n, fill_arc4random);
}
#endif

static const struct bench_case cases[] = {
	{ "floor", "floor: 8 chars from a ready buffer", "floor_name", NULL, run_floor, NULL },
	{ "shared", "tempfile_names_next, shared", "tempfile_names_next", NULL, run_shared, NULL },
	{ "private", "tempfile_names_next, private", "tempfile_names_next", NULL, run_private, NULL },
#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
	{ "getrandom", "getrandom() for every name", "per_name", NULL, run_getrandom, NULL },
#endif
#ifdef HAVE_ARC4RANDOM_BUF
	{ "arc4random", "arc4random_buf() for every name", "per_name", NULL, run_arc4random, NULL },
#endif
};

int main(int argc, char **argv)
{
	int status;
	size_t i;

	if (!(private_names = tempfile_names_new())) {
		perror("tempfile_names_new");
		return 1;
	}
	/* The floor's buffer: any bytes do for timing, the library's make
	 * it ready without a generator of the bench's own. */
	for (i = 0; i + TEMPFILE_NAME_LEN < sizeof ready; i += TEMPFILE_NAME_LEN)
		if (tempfile_names_next(private_names, (char *)ready + i, TEMPFILE_NAME_LEN + 1) < 0) {
			perror("tempfile_names_next");
			return 1;
		}
	status = bench_main(argc, argv, "names", "ns/name", cases, sizeof cases / sizeof cases[0],
	                    MAX_BATCH);
	tempfile_names_free(private_names);
	return status;
}
