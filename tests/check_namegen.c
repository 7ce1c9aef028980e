/* Random names: src/namegen.c and the random sources. */
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHARSET "abcdefghijklmnopqrstuvwxyz0123456789_"
#define NAME_SIZE (TEMPFILE_NAME_LEN + 1)

typedef char name_t[NAME_SIZE];

static int cmp_names(const void *a, const void *b)
{
	return memcmp(a, b, NAME_SIZE);
}

/* Number of names that occur more than once in v. */
static size_t duplicates(name_t *v, size_t n)
{
	size_t i, dups = 0;

	qsort(v, n, sizeof *v, cmp_names);
	for (i = 1; i < n; i++)
		dups += memcmp(v[i - 1], v[i], NAME_SIZE) == 0;
	return dups;
}

START_TEST(test_format)
{
	tempfile_names *names = tempfile_names_new();
	char buf[NAME_SIZE + 4];
	int i;

	ck_assert_ptr_nonnull(names);
	for (i = 0; i < 2000; i++) {
		memset(buf, '#', sizeof buf);
		ck_assert_int_eq(tempfile_names_next(names, buf, sizeof buf), 0);
		ck_assert_uint_eq(strlen(buf), TEMPFILE_NAME_LEN);
		ck_assert_uint_eq(strspn(buf, CHARSET), TEMPFILE_NAME_LEN);
		ck_assert_int_eq(buf[NAME_SIZE], '#'); /* nothing past the NUL */
	}
	tempfile_names_free(names);
}
END_TEST

START_TEST(test_unique)
{
	const size_t n = 50000;
	name_t *v = malloc(n * sizeof *v);
	tempfile_names *names = _i ? tempfile_candidate_names() : tempfile_names_new();
	size_t i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < n; i++)
		ck_assert_int_eq(tempfile_names_next(names, v[i], NAME_SIZE), 0);
	ck_assert_uint_eq(duplicates(v, n), 0);
	tempfile_names_free(names);
	free(v);
}
END_TEST

/* Pearson's chi-square over the 37 characters.  With 36 degrees of freedom
 * the statistic exceeds 80 with probability below 1e-4 for a uniform
 * source; the modulo bias of a plain byte % 37 gives about 1,200 here. */
START_TEST(test_chi_square)
{
	const long n = 100000;
	const double expected = (double)n * TEMPFILE_NAME_LEN / 37;
	long counts[37] = { 0 };
	tempfile_names *names = tempfile_names_new();
	double chi2 = 0;
	char buf[NAME_SIZE];
	long i;
	int j;

	for (i = 0; i < n; i++) {
		ck_assert_int_eq(tempfile_names_next(names, buf, sizeof buf), 0);
		for (j = 0; j < TEMPFILE_NAME_LEN; j++)
			counts[strchr(CHARSET, buf[j]) - CHARSET]++;
	}
	for (j = 0; j < 37; j++)
		chi2 += (counts[j] - expected) * (counts[j] - expected) / expected;
	ck_assert_msg(chi2 < 80, "chi-square %.1f over 36 degrees of freedom", chi2);
	tempfile_names_free(names);
}
END_TEST

/* The same for each position alone (36 degrees of freedom, 1e-5 above 90)
 * and for each pair of neighbours (1368, 1e-9 above 1690): a name is made
 * of digits and pairs of one draw, so a skew or a dependence between
 * places would hide from the test above. */
START_TEST(test_chi_square_positions)
{
	const long n = 100000;
	static long single[TEMPFILE_NAME_LEN][37], pair[TEMPFILE_NAME_LEN - 1][37 * 37];
	tempfile_names *names = tempfile_names_new();
	char buf[NAME_SIZE];
	long i;
	int j, k;

	memset(single, 0, sizeof single);
	memset(pair, 0, sizeof pair);
	for (i = 0; i < n; i++) {
		int d[TEMPFILE_NAME_LEN];

		ck_assert_int_eq(tempfile_names_next(names, buf, sizeof buf), 0);
		for (j = 0; j < TEMPFILE_NAME_LEN; j++) {
			d[j] = (int)(strchr(CHARSET, buf[j]) - CHARSET);
			single[j][d[j]]++;
			if (j > 0)
				pair[j - 1][d[j - 1] * 37 + d[j]]++;
		}
	}
	for (j = 0; j < TEMPFILE_NAME_LEN; j++) {
		double e = (double)n / 37, chi2 = 0;

		for (k = 0; k < 37; k++)
			chi2 += (single[j][k] - e) * (single[j][k] - e) / e;
		ck_assert_msg(chi2 < 90, "position %d: chi-square %.1f", j, chi2);
	}
	for (j = 0; j < TEMPFILE_NAME_LEN - 1; j++) {
		double e = (double)n / (37 * 37), chi2 = 0;

		for (k = 0; k < 37 * 37; k++)
			chi2 += (pair[j][k] - e) * (pair[j][k] - e) / e;
		ck_assert_msg(chi2 < 1690, "positions %d-%d: chi-square %.1f", j, j + 1, chi2);
	}
	tempfile_names_free(names);
}
END_TEST

START_TEST(test_bad_arguments)
{
	tempfile_names *names = tempfile_names_new();
	char buf[NAME_SIZE];

	errno = 0;
	ck_assert_int_eq(tempfile_names_next(names, buf, NAME_SIZE - 1), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(tempfile_names_next(names, buf, 0), -1);
	ck_assert_int_eq(errno, ERANGE);
	ck_assert_int_eq(tempfile_names_next(NULL, buf, sizeof buf), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_names_next(names, NULL, sizeof buf), -1);
	ck_assert_int_eq(errno, EINVAL);
	ck_assert_int_eq(tempfile_names_next(names, buf, NAME_SIZE), 0);
	tempfile_names_free(names);
	tempfile_names_free(NULL);
}
END_TEST

START_TEST(test_shared_is_one_object)
{
	tempfile_names *a = tempfile_candidate_names();
	char x[NAME_SIZE], y[NAME_SIZE];

	ck_assert_ptr_nonnull(a);
	ck_assert_ptr_eq(a, tempfile_candidate_names());
	tempfile_names_free(a); /* ignored: the shared sequence is never freed */
	ck_assert_ptr_eq(a, tempfile_candidate_names());
	ck_assert_int_eq(tempfile_names_next(a, x, sizeof x), 0);
	ck_assert_int_eq(tempfile_names_next(a, y, sizeof y), 0);
	ck_assert_str_ne(x, y);
}
END_TEST

/* What a child draws: N names from child_names, up child_pipe. */
enum { N = 200 };
static tempfile_names *child_names;
static int child_pipe = -1;

/* The child frees the parent's buffer it inherited (arg): what is left
 * allocated at its exit is the library's. */
static int draw_up_pipe(void *inherited)
{
	name_t buf;
	size_t i;
	int r = 0;

	free(inherited);
	for (i = 0; i < N && !r; i++)
		if (tempfile_names_next(child_names, buf, NAME_SIZE) < 0 ||
		    write(child_pipe, buf, NAME_SIZE) != NAME_SIZE)
			r = 1;
	tempfile_names_free(child_names);
	return r;
}

/* After a fork the parent and the child continue from the same buffered
 * state; each must draw fresh names, not the same ones, however the child
 * was made (a fork hook sees fork() only).  _i: which sequence, and how. */
START_TEST(test_fork_diverges)
{
	int how = _i / 2;
	tempfile_names *names = _i % 2 ? tempfile_candidate_names() : tempfile_names_new();
	name_t *v = calloc(2 * N, sizeof *v);
	int fds[2], status, round;
	size_t i;

	ck_assert_ptr_nonnull(v);
	child_names = names;
	for (round = 0; round < 5; round++) {
		/* The parent's buffer is filled before the child is made. */
		ck_assert_int_eq(tempfile_names_next(names, v[0], NAME_SIZE), 0);
		ck_assert_int_eq(pipe(fds), 0);
		child_pipe = fds[1];
		pid_t pid = tu_spawn(how, draw_up_pipe, v);
		ck_assert_int_ge(pid, 0);
		close(fds[1]);
		for (i = 0; i < N; i++)
			ck_assert_int_eq(tempfile_names_next(names, v[i], NAME_SIZE), 0);
		for (i = N; i < 2 * N; i++)
			ck_assert_int_eq(read(fds[0], v[i], NAME_SIZE), NAME_SIZE);
		close(fds[0]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_int_eq(status, 0);
		ck_assert_msg(duplicates(v, 2 * N) == 0, "child made by way %d repeats names", how);
	}
	tempfile_names_free(names);
	free(v);
}
END_TEST

enum { THREADS = 4, PER_THREAD = 20000 };

static void *draw_many(void *arg)
{
	name_t *v = arg;
	size_t i;

	for (i = 0; i < PER_THREAD; i++)
		if (tempfile_names_next(tempfile_candidate_names(), v[i], NAME_SIZE) < 0)
			return v;
	return NULL;
}

START_TEST(test_threads_share_sequence)
{
	name_t *v = calloc((size_t)THREADS * PER_THREAD, sizeof *v);
	pthread_t t[THREADS];
	void *ret;
	int i;

	ck_assert_ptr_nonnull(v);
	for (i = 0; i < THREADS; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, draw_many, v + i * PER_THREAD), 0);
	for (i = 0; i < THREADS; i++) {
		ck_assert_int_eq(pthread_join(t[i], &ret), 0);
		ck_assert_ptr_null(ret);
	}
	ck_assert_uint_eq(duplicates(v, (size_t)THREADS * PER_THREAD), 0);
	free(v);
}
END_TEST

/* Both the configured source and the /dev/urandom fallback deliver. */
START_TEST(test_random_sources)
{
	int (*source)(void *, size_t) = _i ? tfp_urandom_bytes : tfp_random_bytes;
	unsigned char a[4096], b[4096];
	int ones = 0;
	size_t i;

	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	ck_assert_int_eq(source(a, sizeof a), 0);
	ck_assert_int_eq(source(b, sizeof b), 0);
	ck_assert_mem_ne(a, b, sizeof a);
	for (i = 0; i < sizeof a; i++)
		ones += __builtin_popcount(a[i]);
	/* 32768 fair bits: mean 16384, sd 90.5; 8 sd either way. */
	ck_assert_int_gt(ones, 16384 - 724);
	ck_assert_int_lt(ones, 16384 + 724);
	ck_assert_int_eq(source(a, 0), 0);
}
END_TEST

/* ---- ChaCha20 (src/chacha.c) ---- */

static void from_hex(unsigned char *out, const char *hex, size_t n)
{
	size_t i;

	ck_assert_uint_eq(strlen(hex), 2 * n);
	for (i = 0; i < n; i++) {
		unsigned v;

		ck_assert_int_eq(sscanf(hex + 2 * i, "%2x", &v), 1);
		out[i] = (unsigned char)v;
	}
}

/* RFC 8439 2.3.2's state (key 00..1f, its nonce, block counter 1) and the
 * four blocks from it: the first is the RFC's; all four as OpenSSL's
 * "openssl enc -chacha20" gives them. */
static const char rfc_four[] =
	"10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4e"
	"d2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e"
	"0a88837739d7bf4ef8ccacb0ea2bb9d69d56c394aa351dfda5bf459f0a2e9fe8"
	"e721f89255f9c486bf21679c683d4f9c5cf2fa27865526005b06ca374c86af3b"
	"dcbfbdcb83be65862ed5c20eae5a43241d6a92da6dca9a156be25297f51c2718"
	"8a861e93cc3aeb129a76598baccd27453ac6941b4b4e1e5153a9fee95d1ba00e"
	"69d09f0d336478ca9068335ae2b3090905fb0fe5d45115371d126e5ba85e9924"
	"32729aa7d77ddc5e3cc689d8445c1ab754a7409ee8befc2bdd3868d27f6e1ad8";

START_TEST(test_chacha_rfc8439)
{
	uint32_t in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574,
	                    0x03020100, 0x07060504, 0x0b0a0908, 0x0f0e0d0c,
	                    0x13121110, 0x17161514, 0x1b1a1918, 0x1f1e1d1c,
	                    0x00000001, 0x09000000, 0x4a000000, 0x00000000 };
	unsigned char want[TFP_CHACHA_FOUR], got[TFP_CHACHA_FOUR];

	from_hex(want, rfc_four, sizeof want);
	tfp_chacha20_four(in, got);
	ck_assert_mem_eq(got, want, sizeof want);
}
END_TEST

/* The keystream of key 00..1f with nonce and counter 0, made where the key
 * was: its first block, and the last of 512 bytes (the counter carried
 * from one four to the next), as OpenSSL gives them. */
START_TEST(test_chacha_in_place)
{
	unsigned char buf[2 * TFP_CHACHA_FOUR], want[64];
	int i;

	for (i = 0; i < TFP_CHACHA_KEY; i++)
		buf[i] = (unsigned char)i;
	tfp_chacha20(buf, buf, sizeof buf);
	from_hex(want, "39fd2b7dd9c5196a8dbd0377b8dc4a498a35d86fbcde6accb2cc7d4cd8ea2492"
	               "2b23cce7a26023ab3f0eef693ac87f64258235eab1f7a32dc22762a0485b410c", 64);
	ck_assert_mem_eq(buf, want, 64);
	from_hex(want, "185838beabf85b1605467c46149350e877815eefc73f7d9b3d94b198d7fef9c9"
	               "17cd76043d85feff6cfc7272f1e6dfb201def102acf0175b4fe41f026a6d9cf2", 64);
	ck_assert_mem_eq(buf + sizeof buf - 64, want, 64);
}
END_TEST

/* ---- Random sources that fail ---- */

/* configure prefers getrandom(2) where it has it (configure.ac). */
#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
/* A kernel without getrandom(2) (before Linux 3.17): /dev/urandom
 * instead, for the names and the process token alike. */
static int getrandom_missing(void *unused)
{
	unsigned char a[600], b[600];
	char *path;
	int fd;

	(void)unused;
	REQ(tu_deny_syscall(SYS_getrandom, ENOSYS) == 0);
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	REQ(tfp_random_bytes(a, sizeof a) == 0);
	REQ(tfp_random_bytes(b, sizeof b) == 0);
	REQ(memcmp(a, b, sizeof a) != 0);
	REQ((fd = tempfile_mkstemp(NULL, NULL, tu_base, 0, &path)) > 2);
	REQ(unlink(path) == 0);
	free(path);
	return 0;
}

START_TEST(test_getrandom_missing)
{
	ck_assert_int_eq(tu_run(getrandom_missing, NULL, 0), 0);
}
END_TEST

/* getrandom(2) refused (a sandbox): no name, its errno, nothing made.
 * _i 1: the process token was drawn before, so the name pool's refill is
 * what fails; 0: the token's draw. */
static int getrandom_refused(void *arg)
{
	tempfile_names *own = tempfile_names_new();
	unsigned char buf[16];
	char name[NAME_SIZE];

	REQ(own);
	if (*(int *)arg)
		REQ(tfp_process_token() != 0);
	REQ(tu_deny_syscall(SYS_getrandom, EPERM) == 0);
	errno = 0;
	REQ(tfp_random_bytes(buf, sizeof buf) == -1 && errno == EPERM);
	errno = 0;
	REQ(tempfile_names_next(own, name, sizeof name) == -1 && errno == EPERM);
	errno = 0;
	REQ(tempfile_names_next(tempfile_candidate_names(), name, sizeof name) == -1 &&
	    errno == EPERM);
	errno = 0;
	REQ(tempfile_mkstemp(NULL, NULL, tu_base, 0, NULL) == -1 && errno == EPERM);
	/* Registered for exit: the reservation fails first without a token. */
	errno = 0;
	REQ(!tempfile_named(NULL, NULL, tu_base, TEMPFILE_CLEANUP_AT_EXIT) && errno == EPERM);
	errno = 0;
	REQ(!tempfile_dir_new(NULL, NULL, tu_base, TEMPFILE_CLEANUP_AT_EXIT) && errno == EPERM);
	REQ(tu_count_entries(tu_base) == 0);
	tempfile_names_free(own);
	return 0;
}

START_TEST(test_getrandom_refused)
{
	int token_first = _i;

	ck_assert_int_eq(tu_run(getrandom_refused, &token_first, 0), 0);
}
END_TEST

/* After the kernel's first buffer, names cost no system call until the key
 * has made RESEED buffers (src/namegen.c: 64 names, then 16 of 378): with
 * getrandom(2) refused, a sequence goes on that long and then fails. */
enum { FIRST_NAMES = 64, RESEED_NAMES = 16 * 378 };

static int names_until_reseed(void *unused)
{
	tempfile_names *own = tempfile_names_new();
	char name[NAME_SIZE];
	long n = 1;

	(void)unused;
	REQ(own && tfp_process_token() != 0);
	REQ(tempfile_names_next(own, name, sizeof name) == 0);
	REQ(tu_deny_syscall(SYS_getrandom, EPERM) == 0);
	errno = 0;
	while (n <= FIRST_NAMES + RESEED_NAMES && tempfile_names_next(own, name, sizeof name) == 0)
		n++;
	REQ(errno == EPERM);
	/* One name in 590 is skipped (namegen.c): 0.5% is 9 sd. */
	REQ(n > (FIRST_NAMES + RESEED_NAMES) * 995L / 1000);
	tempfile_names_free(own);
	return 0;
}

START_TEST(test_names_until_reseed)
{
	ck_assert_int_eq(tu_run(names_until_reseed, NULL, 0), 0);
}
END_TEST
#endif

/* What /dev/urandom is made to be in a private mount namespace, and the
 * errno that reading it must give then. */
static const struct {
	const char *what;
	int err;
} bad_urandom[] = {
	{ "/dev/null", EIO },  /* a character device at its end: no bytes */
	{ "file", EIO },       /* a regular file: predictable bytes */
	{ NULL, ENOENT },      /* none: an empty /dev */
};

static int urandom_unusable(void *arg)
{
	int i = *(int *)arg;
	unsigned char buf[16];
	char *file = tu_join(tu_base, "planted"), *dir = tu_join(tu_base, "d");

	REQ(tu_private_mounts() == 0);
	if (!bad_urandom[i].what) {
		REQ(mount("none", "/dev", "tmpfs", 0, NULL) == 0);
	} else if (strcmp(bad_urandom[i].what, "file") == 0) {
		tu_write_file(file, "0123456789abcdef0123456789abcdef");
		REQ(mount(file, "/dev/urandom", "none", MS_BIND, NULL) == 0);
	} else {
		REQ(mount(bad_urandom[i].what, "/dev/urandom", "none", MS_BIND, NULL) == 0);
	}
	errno = 0;
	REQ(tfp_urandom_bytes(buf, sizeof buf) == -1);
	REQ(errno == bad_urandom[i].err);
#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
	/* No getrandom(2) either: no name, and nothing made. */
	REQ(mkdir(dir, 0700) == 0);
	REQ(tu_deny_syscall(SYS_getrandom, ENOSYS) == 0);
	errno = 0;
	REQ(tempfile_mkstemp(NULL, NULL, dir, 0, NULL) == -1);
	REQ(errno == bad_urandom[i].err);
	REQ(tu_count_entries(dir) == 0);
#endif
	free(file);
	free(dir);
	return 0;
}

START_TEST(test_urandom_unusable)
{
	int i = _i;

	ck_assert_msg(geteuid() == 0, "needs root (unshare, mount), as in CI");
	ck_assert_int_eq(tu_run(urandom_unusable, &i, 0), 0);
}
END_TEST

static Suite *namegen_suite(void)
{
	Suite *s = suite_create("namegen");
	TCase *tc = tu_tcase("names", 60);

	tcase_add_test(tc, test_format);
	tcase_add_loop_test(tc, test_unique, 0, 2);
	tcase_add_test(tc, test_chi_square);
	tcase_add_test(tc, test_chi_square_positions);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_shared_is_one_object);
	tcase_add_loop_test(tc, test_fork_diverges, 0, 2 * TU_N_WAYS);
	tcase_add_test(tc, test_threads_share_sequence);
	tcase_add_loop_test(tc, test_random_sources, 0, 2);
	tcase_add_test(tc, test_chacha_rfc8439);
	tcase_add_test(tc, test_chacha_in_place);
#if defined(HAVE_GETRANDOM) && defined(HAVE_SYS_RANDOM_H)
	tcase_add_test(tc, test_getrandom_missing);
	tcase_add_loop_test(tc, test_getrandom_refused, 0, 2);
	tcase_add_test(tc, test_names_until_reseed);
#endif
	tcase_add_loop_test(tc, test_urandom_unusable, 0,
	                    (int)(sizeof bad_urandom / sizeof *bad_urandom));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return tu_main(namegen_suite());
}
