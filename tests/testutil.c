#include "config.h"

#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <dirent.h>
#include <ftw.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *tu_base;
char *tu_other_fs;
static char root[64];
static char other_root[64];

/* mkdtemp(buf), made reachable for TU_NOBODY. */
static char *make_private(char *buf)
{
	if (!mkdtemp(buf) || chmod(buf, 0755) < 0) {
		perror("mkdtemp");
		abort();
	}
	return buf;
}

/* In the parent, around the whole test case: what the tests leave behind,
 * even when they fail, goes with the root. */
static void setup_root(void)
{
	/* Not under $TMPDIR: it may be out of TU_NOBODY's reach. */
	strcpy(root, "/tmp/libtempfile-check.XXXXXX");
	make_private(root);
	/* A tmpfs, for tests that cross file systems (they check it is one). */
	strcpy(other_root, "/dev/shm/libtempfile-check.XXXXXX");
	tu_other_fs = mkdtemp(other_root);
}

static void teardown_root(void)
{
	tu_rmtree(root);
	if (tu_other_fs)
		tu_rmtree(other_root);
}

/* In each test's own process: a fresh directory of its own. */
static void setup_test(void)
{
	static char buf[sizeof root + 16];

	snprintf(buf, sizeof buf, "%s/t.XXXXXX", root);
	tu_base = make_private(buf);
	setenv("TMPDIR", tu_base, 1);
	unsetenv("TEMP");
	unsetenv("TMP");
}

TCase *tu_tcase(const char *name, double timeout)
{
	TCase *tc = tcase_create(name);

	tcase_add_unchecked_fixture(tc, setup_root, teardown_root);
	tcase_add_checked_fixture(tc, setup_test, NULL);
	tcase_set_timeout(tc, timeout);
	return tc;
}

char *tu_subdir(const char *name, int for_nobody)
{
	char *path;

	if (asprintf(&path, "%s/%s", tu_base, name) < 0)
		abort();
	if (mkdir(path, 0700) < 0 && errno != EEXIST)
		ck_abort_msg("mkdir %s: %s", path, strerror(errno));
	if (for_nobody)
		ck_assert_int_eq(chmod(path, 0777), 0);
	return path;
}

int tu_count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

#ifdef HAVE___GCOV_DUMP
void __gcov_dump(void); /* libgcov's, found by configure */
#endif

void tu_exit(int status)
{
#ifdef HAVE___GCOV_DUMP
	__gcov_dump();
#endif
	_exit(status);
}

int tu_run(int (*fn)(void *), void *arg, int as_nobody)
{
	int status;
	pid_t pid = fork();

	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		/* Check forwards SIGINT and SIGTERM to the test's process group:
		 * a child starts from the defaults, as a program would. */
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		if (as_nobody && (setgroups(0, NULL) < 0 || setgid(TU_NOBODY) < 0 ||
		                  setuid(TU_NOBODY) < 0))
			tu_exit(99);
		tu_exit(fn(arg));
	}
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		return 100 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

void tu_write_file(const char *path, const char *s)
{
	FILE *f = fopen(path, "w");

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	ck_assert_int_ge(fputs(s, f), 0);
	ck_assert_int_eq(fclose(f), 0);
}

void tu_assert_file(const char *path, const char *want)
{
	char buf[256];
	FILE *f = fopen(path, "r");
	size_t n;

	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof buf - 1, f);
	buf[n] = '\0';
	fclose(f);
	ck_assert_str_eq(buf, want);
}

static int rm_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if (type == FTW_DP)
		return rmdir(path) < 0 ? -1 : 0;
	return unlink(path) < 0 ? -1 : 0;
}

static int make_traversable(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D || type == FTW_DNR)
		chmod(path, (st->st_mode & 07777) | 0700);
	return 0;
}

void tu_rmtree(const char *path)
{
	/* Without root, 0000 directories left by a failed test need opening. */
	nftw(path, make_traversable, 16, FTW_PHYS);
	if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) < 0)
		fprintf(stderr, "warning: could not remove %s: %s\n", path, strerror(errno));
}

/* The automake harness keeps a test's output in its .log; the summary line
 * also goes to the console through descriptor 9 (AM_TESTS_FD_REDIRECT), so
 * that a run of 'make check' shows how many checks each suite ran. */
static void summary_to_console(SRunner *sr)
{
	int saved;

	if (fcntl(9, F_GETFD) < 0 || fflush(stdout) != 0 || (saved = dup(1)) < 0)
		return;
	if (dup2(9, 1) >= 0) {
		srunner_print(sr, CK_MINIMAL);
		fflush(stdout);
		dup2(saved, 1);
	}
	close(saved);
}

int tu_main(Suite *s)
{
	SRunner *sr = srunner_create(s);
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	summary_to_console(sr);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
