/*
 * The cost of one random name: libtempfile's buffered sequences against a
 * generator that asks the kernel for every name.
 *
 * glibc's own generator is not here: it runs only inside mkstemp(),
 * mkdtemp() and mktemp(), each of which also touches the file system for
 * the name, so it cannot be timed apart; bench_mkstemp compares the whole
 * calls instead.
 *
 * System calls per name are not counted in-process (nothing in the process
 * sees its own system calls without interposing on libc, and the library
 * calls getrandom() directly).  bench/run.sh counts them from outside, under
 * `strace -c`, running each case here with "CASE N" and subtracting a run
 * with N = 0.  Expected: about 1 getrandom() per 55 names for the
 * libtempfile cases (a 512-byte buffer, 8 bytes a name, 222 of every 256
 * byte values accepted: 512 * 222/256 / 8 = 55.5), about 1.7 for the naive
 * generator (8 bytes, then one more call for the bytes rejected).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
# include <sys/random.h>
#endif

#include <tempfile.h>

#include "bench.h"

static tempfile_names *private_names;
/* Written by every case so that the compiler cannot drop the names. */
static volatile char sink;

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

#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
/* The obvious unbuffered generator, as unbiased as the library's: ask for
 * the bytes still missing, keep those below 222 = 6 * 37. */
static int naive_name(char *out)
{
	static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
	unsigned char b[TEMPFILE_NAME_LEN];
	size_t have = 0;

	while (have < TEMPFILE_NAME_LEN) {
		size_t want = TEMPFILE_NAME_LEN - have, i;
		ssize_t got = getrandom(b, want, 0);

		if (got < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		for (i = 0; i < (size_t)got; i++)
			if (b[i] < 222)
				out[have++] = chars[b[i] % 37];
	}
	return 0;
}

static int run_naive(long n)
{
	char buf[TEMPFILE_NAME_LEN];

	while (n-- > 0) {
		if (naive_name(buf) < 0)
			return -1;
		sink = buf[0];
	}
	return 0;
}
#endif

static const struct bench_case cases[] = {
	{ "shared", "tempfile_names_next, shared", run_shared },
	{ "private", "tempfile_names_next, private", run_private },
#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
	{ "getrandom", "getrandom() for every name", run_naive },
#endif
};

int main(int argc, char **argv)
{
	int status;

	if (!(private_names = tempfile_names_new())) {
		perror("tempfile_names_new");
		return 1;
	}
	status = bench_main(argc, argv, "bench_names", "ns/name",
	                    cases, sizeof cases / sizeof cases[0]);
	tempfile_names_free(private_names);
	return status;
}
