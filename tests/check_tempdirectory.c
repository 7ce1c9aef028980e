/* Temporary directories and the exit registry: src/tempdirectory.c,
 * src/rmtree.c, src/dirents_*.c and src/atexit.c. */
#include "src/internal.h"
#include "testutil.h"

#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHARSET "abcdefghijklmnopqrstuvwxyz0123456789_"

static char *join(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static int make_file(const char *dir, const char *name, mode_t mode)
{
	char *p = join(dir, name);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0600);

	free(p);
	REQ(fd >= 0);
	REQ(write(fd, "data", 4) == 4);
	REQ(fchmod(fd, mode) == 0);
	REQ(close(fd) == 0);
	return 0;
}

static int make_dir(const char *dir, const char *name)
{
	char *p = join(dir, name);
	int r = mkdir(p, 0700);

	free(p);
	REQ(r == 0);
	return 0;
}

static int make_link(const char *target, const char *dir, const char *name)
{
	char *p = join(dir, name);
	int r = symlink(target, p);

	free(p);
	REQ(r == 0);
	return 0;
}

static mode_t mode_of(const char *dir, const char *name)
{
	char *p = join(dir, name);
	struct stat st;
	int r = lstat(p, &st);

	free(p);
	return r < 0 ? (mode_t)-1 : st.st_mode & 07777;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* ---- Victims outside the tree, and a hostile tree around links to them ---- */

/* base/victim (0751) holding f (0640) and a locked sub (0000) with g,
 * and base/vfile (0640): what cleanup must never touch. */
static int make_victims(const char *base)
{
	char *v = join(base, "victim"), *sub = join(v, "sub");

	REQ(make_dir(base, "victim") == 0);
	REQ(make_file(v, "f", 0640) == 0);
	REQ(make_dir(v, "sub") == 0);
	REQ(make_file(sub, "g", 0600) == 0);
	REQ(chmod(sub, 0) == 0);
	REQ(chmod(v, 0751) == 0);
	REQ(make_file(base, "vfile", 0640) == 0);
	free(sub);
	free(v);
	return 0;
}

static int victims_intact(const char *base)
{
	char *v = join(base, "victim"), *sub = join(v, "sub");
	int n_sub;

	REQ(mode_of(base, "victim") == 0751);
	REQ(mode_of(v, "f") == 0640);
	REQ(mode_of(v, "sub") == 0);
	REQ(mode_of(base, "vfile") == 0640);
	/* Counting needs the sub opened; root can. */
	n_sub = tu_count_entries(sub);
	REQ(n_sub == 1 || (n_sub == -1 && errno == EACCES && geteuid() != 0));
	REQ(tu_count_entries(v) == 2);
	free(sub);
	free(v);
	return 0;
}

/* Nested directories, a 0000 directory with contents, a 0500 one with a
 * file, a read-only file, and links to the victims in base. */
static int build_tree(const char *top, const char *base)
{
	char *v = join(base, "victim"), *vf = join(base, "vfile"), *vsub = join(v, "sub");
	char *a = join(top, "a"), *ab = join(a, "b"), *abc = join(ab, "c");
	char *locked = join(top, "locked"), *inner = join(locked, "inner");
	char *ro = join(top, "ro");

	REQ(make_dir(top, "a") == 0 && make_dir(a, "b") == 0 && make_dir(ab, "c") == 0);
	REQ(make_file(a, "f1", 0600) == 0 && make_file(abc, "f2", 0644) == 0);
	REQ(make_link(v, ab, "deep-link") == 0);
	REQ(make_dir(top, "locked") == 0 && make_dir(locked, "inner") == 0);
	REQ(make_file(locked, "f", 0600) == 0 && make_file(inner, "g", 0600) == 0);
	REQ(make_link(v, locked, "link") == 0);
	REQ(chmod(inner, 0) == 0 && chmod(locked, 0) == 0);
	REQ(make_dir(top, "ro") == 0 && make_file(ro, "f", 0400) == 0);
	REQ(chmod(ro, 0500) == 0);
	REQ(make_file(top, "rofile", 0400) == 0);
	REQ(make_link(v, top, "ldir") == 0 && make_link(vf, top, "lfile") == 0);
	REQ(make_link(vsub, top, "lsub") == 0);
	REQ(make_link("victim/../victim", top, "rel-dangling") == 0);
	free(v), free(vf), free(vsub), free(a), free(ab), free(abc), free(locked), free(inner), free(ro);
	return 0;
}

/* Runs child(x) in a process of its own (as nobody if as_nobody) for a
 * new directory x, and checks its status, that x then holds left entries
 * and, if victims, that those in x are intact.  Returns x. */
static char *run_in_dir(int (*child)(void *), int as_nobody, int status, int left,
                        int victims)
{
	char *x = tu_subdir("x", as_nobody);

	fflush(NULL); /* a child that calls exit() flushes its copy */
	ck_assert_int_eq(tu_run(child, x, as_nobody), status);
	ck_assert_int_eq(tu_count_entries(x), left);
	if (victims)
		ck_assert_int_eq(victims_intact(x), 0);
	return x;
}

static void assert_shape(const char *path, const char *dir, const char *prefix,
                         const char *suffix)
{
	size_t dl = strlen(dir), pl = strlen(prefix);

	ck_assert_msg(path[0] == '/', "%s is not absolute", path);
	ck_assert_uint_eq(strlen(path), dl + 1 + pl + TEMPFILE_NAME_LEN + strlen(suffix));
	ck_assert_msg(strncmp(path, dir, dl) == 0 && path[dl] == '/', "%s not in %s", path, dir);
	ck_assert_msg(strncmp(path + dl + 1, prefix, pl) == 0, "%s: prefix %s", path, prefix);
	path += dl + 1 + pl;
	ck_assert_uint_ge(strspn(path, CHARSET), TEMPFILE_NAME_LEN);
	ck_assert_str_eq(path + TEMPFILE_NAME_LEN, suffix);
}

/* ---- The object ---- */

START_TEST(test_lifecycle)
{
	tempfile_dir *d = tempfile_dir_new(".s", "p-", tu_base, 0);
	char *path;
	struct stat st;

	ck_assert_ptr_nonnull(d);
	path = strdup(tempfile_dir_name(d));
	assert_shape(path, tu_base, "p-", ".s");
	ck_assert_int_eq(lstat(path, &st), 0);
	ck_assert(S_ISDIR(st.st_mode));
	ck_assert_uint_eq(st.st_mode & 07777, 0700);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert(!exists(path));
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(path);
}
END_TEST

/* NULL everywhere: $TMPDIR (tu_base) and the "tmp" prefix. */
START_TEST(test_defaults)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, 0);

	ck_assert_ptr_nonnull(d);
	assert_shape(tempfile_dir_name(d), tu_base, "tmp", "");
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	ck_assert_int_eq(tempfile_dir_close(NULL), 0);
}
END_TEST

START_TEST(test_dir_fd)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, 0);
	int fd = tempfile_dir_fd(d), ffd;
	struct stat a, b;

	ck_assert_int_gt(fd, 2);
	ck_assert_int_eq(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	ck_assert_int_eq(fcntl(fd, F_GETFL) & O_DIRECTORY, TFP_O_DIRECTORY);
	ck_assert_int_eq(fstat(fd, &a), 0);
	ck_assert(S_ISDIR(a.st_mode));
	ck_assert_int_eq(stat(tempfile_dir_name(d), &b), 0);
	ck_assert(a.st_dev == b.st_dev && a.st_ino == b.st_ino);
	/* Usable with the *at calls; what they make goes with the tree. */
	ffd = tempfile_mkstempat(fd, NULL, NULL, 0, NULL);
	ck_assert_int_ge(ffd, 0);
	close(ffd);
	ck_assert_int_eq(tu_count_entries(tempfile_dir_name(d)), 1);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

static int stdio_closed_child(void *arg)
{
	tempfile_dir *d;

	(void)arg;
	close(0);
	close(1);
	REQ((d = tempfile_dir_new(NULL, NULL, NULL, 0)) != NULL);
	REQ(tempfile_dir_fd(d) > 2);
	REQ(tempfile_dir_close(d) == 0);
	return 0;
}

START_TEST(test_fd_above_stdio)
{
	ck_assert_int_eq(tu_run(stdio_closed_child, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

START_TEST(test_keep)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, TEMPFILE_KEEP);
	char *path = strdup(tempfile_dir_name(d));

	ck_assert_int_eq(make_file(path, "f", 0600), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tu_count_entries(path), 1);
	free(path);
}
END_TEST

START_TEST(test_hostile_tree)
{
	tempfile_dir *d;
	char *path;

	ck_assert_int_eq(make_victims(tu_base), 0);
	d = tempfile_dir_new(NULL, NULL, NULL, 0);
	ck_assert_ptr_nonnull(d);
	path = strdup(tempfile_dir_name(d));
	ck_assert_int_eq(build_tree(path, tu_base), 0);
	ck_assert_int_eq(tempfile_dir_cleanup(d), 0);
	ck_assert(!exists(path));
	ck_assert_int_eq(victims_intact(tu_base), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 2);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(victims_intact(tu_base), 0);
	free(path);
}
END_TEST

/* As nobody, permissions count: the 0000 and 0500 directories really
 * resist until unlocked, and the victims are the child's own, so that a
 * chmod through a link would succeed and show. */
static int hostile_tree_child(void *x)
{
	tempfile_dir *d;

	REQ(make_victims(x) == 0);
	REQ((d = tempfile_dir_new(NULL, NULL, x, 0)) != NULL);
	REQ(build_tree(tempfile_dir_name(d), x) == 0);
	REQ(tempfile_dir_close(d) == 0);
	REQ(victims_intact(x) == 0);
	REQ(tu_count_entries(x) == 2);
	return 0;
}

START_TEST(test_hostile_tree_as_nobody)
{
	free(run_in_dir(hostile_tree_child, 1, 0, 2, 1));
}
END_TEST

/* The user locks the top directory itself. */
static int locked_top_child(void *x)
{
	static const mode_t modes[] = { 0, 0500, 0100, 0300 };
	size_t i;

	for (i = 0; i < sizeof modes / sizeof *modes; i++) {
		tempfile_dir *d = tempfile_dir_new(NULL, NULL, x, 0);
		const char *path;

		REQ(d != NULL);
		path = tempfile_dir_name(d);
		REQ(make_dir(path, "sub") == 0 && make_file(path, "f", 0600) == 0);
		REQ(chmod(path, modes[i]) == 0);
		REQ(tempfile_dir_cleanup(d) == 0);
		REQ(!exists(path));
		REQ(tempfile_dir_close(d) == 0);
	}
	return 0;
}

START_TEST(test_locked_top_as_nobody)
{
	free(run_in_dir(locked_top_child, 1, 0, 0, 0));
}
END_TEST

/* More entries than one getdents batch holds, removed while being read,
 * and a deep chain; tfp_rmtree_contents() keeps the directory itself. */
START_TEST(test_many_and_deep)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, 0);
	const char *path = tempfile_dir_name(d);
	char name[64], *deep = strdup(path), *next;
	int i;

	for (i = 0; i < 600; i++) {
		snprintf(name, sizeof name, "file-with-a-longish-name-%04d", i);
		ck_assert_int_eq(make_file(path, name, i % 2 ? 0400 : 0600), 0);
	}
	for (i = 0; i < 100; i++) {
		ck_assert_int_eq(make_dir(deep, "d"), 0);
		next = join(deep, "d");
		free(deep);
		deep = next;
		ck_assert_int_eq(make_file(deep, "f", 0600), 0);
	}
	ck_assert_int_eq(tu_count_entries(path), 601);
	ck_assert_int_eq(tfp_rmtree_contents(tempfile_dir_fd(d)), 0);
	ck_assert_int_eq(tu_count_entries(path), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(deep);
}
END_TEST

START_TEST(test_cleanup_twice)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, 0);
	char *path = strdup(tempfile_dir_name(d));

	ck_assert_int_eq(make_dir(path, "sub"), 0);
	ck_assert_int_eq(tempfile_dir_cleanup(d), 0);
	ck_assert(!exists(path));
	ck_assert_int_eq(tempfile_dir_cleanup(d), 0);
	ck_assert_str_eq(tempfile_dir_name(d), path);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	free(path);
}
END_TEST

START_TEST(test_removed_by_user)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, 0);
	tempfile_dir *e = tempfile_dir_new(NULL, NULL, NULL, 0);

	ck_assert_int_eq(make_dir(tempfile_dir_name(d), "sub"), 0);
	tu_rmtree(tempfile_dir_name(d));
	tu_rmtree(tempfile_dir_name(e));
	ck_assert_int_eq(tempfile_dir_cleanup(d), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert_int_eq(tempfile_dir_close(e), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* The user moved the tree away and made another directory at its path:
 * the tree goes (through its descriptor), the stranger stays. */
START_TEST(test_path_taken_over)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, 0);
	char *path = strdup(tempfile_dir_name(d)), *moved = join(tu_base, "moved");

	ck_assert_int_eq(make_file(path, "f", 0600), 0);
	ck_assert_int_eq(rename(path, moved), 0);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	ck_assert(exists(path));
	ck_assert_int_eq(tu_count_entries(moved), 0);
	free(path);
	free(moved);
}
END_TEST

/* ---- An attacker swapping subdirectories for links while cleanup runs ---- */

/* Cleanup lists the top directory in one batch, then empties subdirectory
 * after subdirectory: by the time it opens a later one, the listing (which
 * says "directory") may be stale and the name a link to the victim. */
enum { SWAP_SUBS = 8, SWAP_FILES = 16, SWAP_ROUNDS = 250 };

struct swapper {
	char *sub[SWAP_SUBS], *away[SWAP_SUBS];
	const char *victim;
	atomic_int started, stop;
};

/* A subdirectory with files, so that cleanup spends time in each. */
static int fill(const char *sub)
{
	char name[16];
	int i;

	REQ(mkdir(sub, 0700) == 0);
	for (i = 0; i < SWAP_FILES; i++) {
		snprintf(name, sizeof name, "f%d", i);
		REQ(make_file(sub, name, 0600) == 0);
	}
	return 0;
}

static void swap_one(const char *sub, const char *away, const char *victim)
{
	if (rename(sub, away) < 0) {
		mkdir(sub, 0700); /* keep cleanup busy, until the tree is gone */
		return;
	}
	if (symlink(victim, sub) == 0) {
		sched_yield();
		unlink(sub);
	}
	rename(away, sub);
}

static void *swap_loop(void *arg)
{
	struct swapper *s = arg;
	int k;

	atomic_store(&s->started, 1);
	while (!atomic_load(&s->stop))
		for (k = SWAP_SUBS - 1; k >= 0; k--)
			swap_one(s->sub[k], s->away[k], s->victim);
	return NULL;
}

static void race_round(const char *victim)
{
	tempfile_dir *d = tempfile_dir_new(NULL, "race", NULL, 0);
	struct swapper s;
	char name[16];
	pthread_t t;
	int k;

	ck_assert_ptr_nonnull(d);
	for (k = 0; k < SWAP_SUBS; k++) {
		snprintf(name, sizeof name, "s%d", k);
		s.sub[k] = join(tempfile_dir_name(d), name);
		snprintf(name, sizeof name, "a%d", k);
		s.away[k] = join(tempfile_dir_name(d), name);
		ck_assert_int_eq(fill(s.sub[k]), 0);
	}
	s.victim = victim;
	atomic_init(&s.started, 0);
	atomic_init(&s.stop, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, swap_loop, &s), 0);
	while (!atomic_load(&s.started))
		sched_yield();
	/* May fail, as the swapper refills the tree behind it; it must just
	 * never go through a link. */
	tempfile_dir_cleanup(d);
	atomic_store(&s.stop, 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(tempfile_dir_close(d), 0);
	for (k = 0; k < SWAP_SUBS; k++) {
		free(s.sub[k]);
		free(s.away[k]);
	}
}

START_TEST(test_swap_race)
{
	char *victim = join(tu_base, "victim");
	int round;

	ck_assert_int_eq(make_victims(tu_base), 0);
	for (round = 0; round < SWAP_ROUNDS; round++) {
		race_round(victim);
		ck_assert_msg(victims_intact(tu_base) == 0, "victim hit in round %d", round);
		ck_assert_int_eq(tu_count_entries(tu_base), 2);
	}
	free(victim);
}
END_TEST

/* ---- Errors ---- */

/* A tree nobody owns, holding a root-owned directory it cannot empty. */
static tempfile_dir *stuck_tree(unsigned flags)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, flags);
	const char *path = tempfile_dir_name(d);
	char *root_dir = join(path, "rootdir");

	ck_assert_int_eq(make_dir(path, "rootdir"), 0);
	ck_assert_int_eq(make_file(root_dir, "f", 0666), 0);
	ck_assert_int_eq(chmod(root_dir, 0755), 0);
	ck_assert_int_eq(make_file(path, "gone", 0600), 0);
	ck_assert_int_eq(chown(path, TU_NOBODY, TU_NOBODY), 0);
	free(root_dir);
	return d;
}

static tempfile_dir *stuck[2];

static int stuck_child(void *arg)
{
	const char *strict = tempfile_dir_name(stuck[0]);
	const char *lenient = tempfile_dir_name(stuck[1]);

	(void)arg;
	errno = 0;
	REQ(tempfile_dir_cleanup(stuck[0]) == -1 && errno == EACCES);
	REQ(tu_count_entries(strict) == 1);
	REQ(tempfile_dir_cleanup(stuck[1]) == 0);
	REQ(tu_count_entries(lenient) == 1);
	errno = 0;
	REQ(tempfile_dir_close(stuck[0]) == -1 && errno == EACCES);
	REQ(tempfile_dir_close(stuck[1]) == 0);
	return 0;
}

START_TEST(test_cleanup_errors)
{
	stuck[0] = stuck_tree(0);
	stuck[1] = stuck_tree(TEMPFILE_IGNORE_CLEANUP_ERRORS);
	ck_assert_int_eq(tu_run(stuck_child, NULL, 1), 0);
	/* What nobody could not remove is still there, for root. */
	ck_assert_int_eq(tu_count_entries(tu_base), 2);
	ck_assert_int_eq(tempfile_dir_close(stuck[0]), 0);
	ck_assert_int_eq(tempfile_dir_close(stuck[1]), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

static void expect_new_fails(const char *suffix, const char *prefix, const char *dir,
                             unsigned flags, int want)
{
	errno = 0;
	ck_assert_ptr_null(tempfile_dir_new(suffix, prefix, dir, flags));
	ck_assert_int_eq(errno, want);
}

START_TEST(test_bad_arguments)
{
	char *missing = join(tu_base, "missing"), *file = join(tu_base, "file");
	char longname[300];

	ck_assert_int_eq(make_file(tu_base, "file", 0600), 0);
	expect_new_fails(NULL, "a/b", NULL, 0, EINVAL);
	expect_new_fails("x/", NULL, NULL, 0, EINVAL);
	expect_new_fails(NULL, NULL, missing, 0, ENOENT);
	expect_new_fails(NULL, NULL, file, 0, ENOTDIR);
	expect_new_fails(NULL, NULL, NULL, TEMPFILE_APPEND, EINVAL);
	expect_new_fails(NULL, NULL, NULL, TEMPFILE_KEEP | 0x100u, EINVAL);
	expect_new_fails(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT | 0x80000000u, EINVAL);
	memset(longname, 'a', sizeof longname);
	longname[250] = '\0';
	expect_new_fails(NULL, longname, NULL, 0, ENAMETOOLONG);
	ck_assert_int_eq(tu_count_entries(tu_base), 1);

	errno = 0;
	ck_assert_ptr_null(tempfile_dir_name(NULL));
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tempfile_dir_fd(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	errno = 0;
	ck_assert_int_eq(tempfile_dir_cleanup(NULL), -1);
	ck_assert_int_eq(errno, EINVAL);
	free(missing);
	free(file);
}
END_TEST

static int eacces_child(void *dir)
{
	errno = 0;
	REQ(tempfile_dir_new(NULL, NULL, dir, TEMPFILE_CLEANUP_AT_EXIT) == NULL);
	REQ(errno == EACCES);
	return 0;
}

START_TEST(test_eacces_as_nobody)
{
	char *locked = tu_subdir("locked", 0);

	ck_assert_int_eq(chmod(locked, 0755), 0);
	ck_assert_int_eq(tu_run(eacces_child, locked, 1), 0);
	ck_assert_int_eq(tu_count_entries(locked), 0);
	free(locked);
}
END_TEST

/* ---- The exit registry ---- */

/* test_many_registrations: enough for several chunks of slots. */
enum { REG_THREADS = 4, REG_PER_THREAD = 100, REG_MAX = REG_THREADS * REG_PER_THREAD };

/* Check's runner handles SIGTERM and SIGINT, and its test processes
 * inherit that: a child that tests the library's handlers starts from the
 * defaults, as a program would. */
static int default_signals(void)
{
	REQ(tu_default_signals() == 0);
	return 0;
}

/* Objects a child leaves open for exit() to find, kept reachable so that
 * LeakSanitizer and valgrind do not call them leaks: volatile, or -O2
 * drops the stores to an array nothing reads. */
static tempfile_dir *volatile left_open[REG_MAX];
static atomic_int n_left_open;

static tempfile_dir *leave_open(tempfile_dir *d)
{
	int i = atomic_fetch_add(&n_left_open, 1);

	if (i < REG_MAX)
		left_open[i] = d;
	return d;
}

/* A registered directory with contents (a locked subdirectory included)
 * and a registered file, in x.  The object and slot are left open, for
 * exit() or a signal to find. */
static int register_both(const char *x, struct tfp_exit_slot **file_slot)
{
	tempfile_dir *d = leave_open(tempfile_dir_new(NULL, NULL, x, TEMPFILE_CLEANUP_AT_EXIT));
	int fd, before = tu_count_entries(x) - 1;
	char *path = NULL;

	REQ(d != NULL);
	REQ(build_tree(tempfile_dir_name(d), x) == 0);
	REQ((fd = tempfile_mkstemp(NULL, NULL, x, 0, &path)) >= 0);
	REQ((*file_slot = tfp_exit_register(path, -1)) != NULL);
	REQ(tu_count_entries(x) == before + 2);
	return 0;
}

static int exit_child(void *x)
{
	struct tfp_exit_slot *slot;

	REQ(default_signals() == 0);
	REQ(make_victims(x) == 0);
	REQ(register_both(x, &slot) == 0);
	exit(0);
}

START_TEST(test_exit_removes)
{
	free(run_in_dir(exit_child, 0, 0, 2, 1));
}
END_TEST

struct signal_case {
	const char *x;
	int sig;
};

static int signal_child(void *arg)
{
	const struct signal_case *c = arg;
	struct tfp_exit_slot *slot;

	REQ(default_signals() == 0);
	REQ(make_victims(c->x) == 0);
	REQ(register_both(c->x, &slot) == 0);
	raise(c->sig);
	return 1;
}

START_TEST(test_fatal_signals)
{
	const int *sigs = tu_fatal_signals;
	size_t i;

	for (i = 0; i < tu_n_fatal; i++) {
		char name[16], *x;
		struct signal_case c;

		snprintf(name, sizeof name, "x%d", sigs[i]);
		c.x = x = tu_subdir(name, 0);
		c.sig = sigs[i];
		/* Still dies of the signal, as without the library. */
		ck_assert_int_eq(tu_run(signal_child, &c, 0), 100 + sigs[i]);
		ck_assert_int_eq(tu_count_entries(x), 2);
		ck_assert_int_eq(victims_intact(x), 0);
		free(x);
	}
}
END_TEST

static int ignored_child(void *x)
{
	struct tfp_exit_slot *slot;
	struct sigaction sa;

	REQ(default_signals() == 0);
	REQ(signal(SIGTERM, SIG_IGN) != SIG_ERR);
	REQ(register_both(x, &slot) == 0);
	REQ(sigaction(SIGTERM, NULL, &sa) == 0 && sa.sa_handler == SIG_IGN);
	REQ(kill(getpid(), SIGTERM) == 0);
	REQ(tu_count_entries(x) == 2); /* ...and nothing removed */
	exit(0);
}

START_TEST(test_ignored_signal_left_alone)
{
	free(run_in_dir(ignored_child, 0, 0, 0, 0));
}
END_TEST

static void own_handler(int sig)
{
	(void)sig;
	tempfile_cleanup_all();
	tu_exit(42); /* no atexit handlers: only cleanup_all can have removed */
}

static int own_handler_child(void *x)
{
	struct tfp_exit_slot *slot;
	struct sigaction sa;

	REQ(default_signals() == 0);
	REQ(signal(SIGINT, own_handler) != SIG_ERR);
	REQ(make_victims(x) == 0);
	REQ(register_both(x, &slot) == 0);
	REQ(sigaction(SIGINT, NULL, &sa) == 0 && sa.sa_handler == own_handler);
	raise(SIGINT);
	return 1;
}

START_TEST(test_own_handler_calls_cleanup_all)
{
	free(run_in_dir(own_handler_child, 0, 42, 2, 1));
}
END_TEST

/* A grandchild inherits the registry, not the entries: neither its exit()
 * nor its death by signal removes them. */
static int grandchild_child(void *x)
{
	struct tfp_exit_slot *slot;
	int status, how;

	REQ(default_signals() == 0);
	REQ(register_both(x, &slot) == 0);
	for (how = 0; how < 2; how++) {
		pid_t pid = fork();

		REQ(pid >= 0);
		if (pid == 0) {
			if (how)
				raise(SIGTERM);
			exit(0);
		}
		REQ(waitpid(pid, &status, 0) == pid);
		REQ(how ? WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM
		        : WIFEXITED(status) && WEXITSTATUS(status) == 0);
		REQ(tu_count_entries(x) == 2);
	}
	exit(0);
}

START_TEST(test_grandchild_leaves_entries)
{
	free(run_in_dir(grandchild_child, 0, 0, 0, 0));
}
END_TEST

static int keep_child(void *x)
{
	struct sigaction sa;

	REQ(default_signals() == 0);
	REQ(leave_open(tempfile_dir_new(NULL, NULL, x, TEMPFILE_KEEP | TEMPFILE_CLEANUP_AT_EXIT)));
	/* Nothing registered, so nothing installed either. */
	REQ(sigaction(SIGTERM, NULL, &sa) == 0 && sa.sa_handler == SIG_DFL);
	exit(0);
}

START_TEST(test_keep_registers_nothing)
{
	free(run_in_dir(keep_child, 0, 0, 1, 0));
}
END_TEST

/* Entries in the subdirectories of dir, together. */
static int count_in_subdirs(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		if (e->d_name[0] != '.' && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISDIR(st.st_mode)) {
			char *p = join(dir, e->d_name);

			n += tu_count_entries(p);
			free(p);
		}
	closedir(d);
	return n;
}

/* After close and unregister, the paths are someone else's: re-created,
 * they survive exit(). */
static int close_child(void *x)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, x, TEMPFILE_CLEANUP_AT_EXIT);
	struct tfp_exit_slot *slot;
	char *dpath, *fpath;
	int fd;

	REQ(d != NULL);
	dpath = strdup(tempfile_dir_name(d));
	REQ(tempfile_dir_close(d) == 0);
	REQ(!exists(dpath));
	/* Likely under the descriptor number d had: a registration left
	 * behind would now find this directory through it. */
	REQ(mkdir(dpath, 0700) == 0);
	REQ(open(dpath, O_RDONLY | O_DIRECTORY | O_CLOEXEC) >= 0);
	REQ(make_file(dpath, "f", 0600) == 0);
	REQ((fd = tempfile_mkstemp(NULL, NULL, x, 0, &fpath)) >= 0);
	REQ((slot = tfp_exit_register(fpath, -1)) != NULL);
	REQ(tfp_exit_unregister(slot) == 0);
	REQ(tfp_exit_unregister(NULL) == 0);
	exit(0);
}

START_TEST(test_close_unregisters)
{
	char *x = run_in_dir(close_child, 0, 0, 2, 0);

	ck_assert_int_eq(count_in_subdirs(x), 1);
	free(x);
}
END_TEST

/* tempfile_cleanup_all() now, then the objects are closed: unregistering
 * says the entry was removed, and paths re-created meanwhile survive. */
static int cleanup_all_child(void *x)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, x, TEMPFILE_CLEANUP_AT_EXIT);
	struct tfp_exit_slot *slot;
	char *fpath;
	int fd;

	REQ(d != NULL);
	REQ(make_dir(tempfile_dir_name(d), "sub") == 0);
	REQ((fd = tempfile_mkstemp(NULL, NULL, x, 0, &fpath)) >= 0);
	REQ((slot = tfp_exit_register(fpath, -1)) != NULL);
	errno = EXDEV;
	tempfile_cleanup_all();
	REQ(errno == EXDEV);
	REQ(tu_count_entries(x) == 0);
	REQ(mkdir(tempfile_dir_name(d), 0700) == 0);
	REQ(close(open(fpath, O_WRONLY | O_CREAT | O_EXCL, 0600)) == 0);
	tempfile_cleanup_all(); /* removed once, not again */
	REQ(tu_count_entries(x) == 2);
	REQ(tfp_exit_unregister(slot) == 1);
	REQ(tempfile_dir_close(d) == 0);
	REQ(tu_count_entries(x) == 2);
	exit(0);
}

START_TEST(test_cleanup_all_then_close)
{
	free(run_in_dir(cleanup_all_child, 0, 0, 2, 0));
}
END_TEST

/* Many registrations (several chunks of slots) from several threads. */
static void *register_many(void *x)
{
	int i;

	for (i = 0; i < REG_PER_THREAD; i++) {
		tempfile_dir *d = tempfile_dir_new(NULL, NULL, x, TEMPFILE_CLEANUP_AT_EXIT);

		if (!d)
			return d;
		/* Every other one closed again: slots are reused. */
		if (i % 2 == 0)
			leave_open(d);
		else if (tempfile_dir_close(d) != 0)
			return NULL;
	}
	return x;
}

static int many_child(void *x)
{
	pthread_t t[REG_THREADS];
	void *ret;
	int i;

	for (i = 0; i < REG_THREADS; i++)
		REQ(pthread_create(&t[i], NULL, register_many, x) == 0);
	for (i = 0; i < REG_THREADS; i++)
		REQ(pthread_join(t[i], &ret) == 0 && ret == x);
	REQ(tu_count_entries(x) == REG_THREADS * REG_PER_THREAD / 2);
	exit(0);
}

START_TEST(test_many_registrations)
{
	free(run_in_dir(many_child, 0, 0, 0, 0));
}
END_TEST

/* A fatal signal that arrives while exit() is removing a big tree waits
 * for the removal to end: the process still dies of it, and leaves
 * nothing.  (Timing decides whether the signal lands during the removal;
 * it mostly does, and when it does not, nothing may be left either.) */
static int slow_exit_child(void *arg)
{
	int *ready = arg, i;
	tempfile_dir *d;
	char name[16];

	REQ(default_signals() == 0);
	d = leave_open(tempfile_dir_new(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT));
	REQ(d != NULL);
	for (i = 0; i < 20000; i++) {
		int fd;

		snprintf(name, sizeof name, "f%d", i);
		fd = openat(tempfile_dir_fd(d), name, O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
		REQ(fd >= 0);
		close(fd);
	}
	REQ(write(ready[1], "x", 1) == 1);
	exit(0);
}

START_TEST(test_signal_during_exit_cleanup)
{
	int ready[2], status, round;
	char c;

	for (round = 0; round < 3; round++) {
		pid_t pid;

		ck_assert_int_eq(pipe(ready), 0);
		fflush(NULL);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			tu_exit(slow_exit_child(ready));
		close(ready[1]);
		ck_assert_int_eq(read(ready[0], &c, 1), 1);
		usleep(2000);
		kill(pid, SIGINT);
		close(ready[0]);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status) ? WEXITSTATUS(status) == 0 : WTERMSIG(status) == SIGINT);
		ck_assert_int_eq(tu_count_entries(tu_base), 0);
	}
}
END_TEST

#ifdef TF_FAULT_WRAP
#include "tests/fault/fault.h"

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

/* A descriptor whose identity cannot be checked at close (the fstat
 * fails) was the object's when last seen: it is closed, not leaked. */
START_TEST(test_close_unchecked_fd)
{
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, NULL, TEMPFILE_KEEP);
	char *path;
	int before;

	ck_assert_ptr_nonnull(d);
	path = strdup(tempfile_dir_name(d));
	before = open_fds();
	fault_arm_call(HAVE_STATX ? "statx" : "fstat64", 1, ENOMEM);
	tempfile_dir_close(d);
	ck_assert_int_eq(fault_disarm(), 1);
	ck_assert_int_eq(open_fds(), before - 1);
	ck_assert_int_eq(rmdir(path), 0);
	free(path);
}
END_TEST
#endif

static Suite *tempdirectory_suite(void)
{
	Suite *s = suite_create("tempdirectory");
	TCase *tc = tu_tcase("tempdirectory", 120);
	TCase *ex = tu_tcase("exit", 60);
	/* Two tests whose work (hundreds of trees raced, 60,000 files made and
	 * removed) takes seconds alone and minutes on a machine loaded many
	 * times over: their limits only catch a hang. */
	TCase *slow = tu_tcase("slow", 600);

	tcase_add_test(tc, test_lifecycle);
#ifdef TF_FAULT_WRAP
	tcase_add_test(tc, test_close_unchecked_fd);
#endif
	tcase_add_test(tc, test_defaults);
	tcase_add_test(tc, test_dir_fd);
	tcase_add_test(tc, test_fd_above_stdio);
	tcase_add_test(tc, test_keep);
	tcase_add_test(tc, test_hostile_tree);
	tcase_add_test(tc, test_hostile_tree_as_nobody);
	tcase_add_test(tc, test_locked_top_as_nobody);
	tcase_add_test(tc, test_many_and_deep);
	tcase_add_test(tc, test_cleanup_twice);
	tcase_add_test(tc, test_removed_by_user);
	tcase_add_test(tc, test_path_taken_over);
	tcase_add_test(tc, test_cleanup_errors);
	tcase_add_test(tc, test_bad_arguments);
	tcase_add_test(tc, test_eacces_as_nobody);
	suite_add_tcase(s, tc);

	tcase_add_test(ex, test_exit_removes);
	tcase_add_test(ex, test_fatal_signals);
	tcase_add_test(ex, test_ignored_signal_left_alone);
	tcase_add_test(ex, test_own_handler_calls_cleanup_all);
	tcase_add_test(ex, test_grandchild_leaves_entries);
	tcase_add_test(ex, test_keep_registers_nothing);
	tcase_add_test(ex, test_close_unregisters);
	tcase_add_test(ex, test_cleanup_all_then_close);
	tcase_add_test(ex, test_many_registrations);
	suite_add_tcase(s, ex);

	tcase_add_test(slow, test_swap_race);
	tcase_add_test(slow, test_signal_during_exit_cleanup);
	suite_add_tcase(s, slow);
	return s;
}

int main(void)
{
	return tu_main(tempdirectory_suite());
}
