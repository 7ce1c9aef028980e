/*
 * Stress 4: 100,000 pending TEMPFILE_CLEANUP_AT_EXIT objects.
 *
 * A child process makes STRESS_FILES named files (tempfile_named(), then
 * tempfile_closefd(), so that they hold no descriptor) and STRESS_DIRS
 * directories (tempfile_dir_new(), each with a file and a subdirectory
 * inside) from STRESS_THREADS threads, all with TEMPFILE_CLEANUP_AT_EXIT,
 * in one directory, and holds them.  The parent counts them there, then
 * makes the child die: by exit(), by SIGTERM, and by SIGTERM while the
 * threads are still making them (at half way).  Each time the child must
 * end as it was told (status 0, or killed by SIGTERM: the library
 * re-raises it) and the parent must count nothing left.  Before its
 * exit(), the child also makes children of its own every way but vfork()
 * (whose child shares the memory, and must _exit()); each registers a file
 * of its own and ends by exit() or SIGTERM: that file must go, and none of
 * the 100,000 of its parent's.
 */
#define _GNU_SOURCE
#include "config.h"
#include "stress.h"

#include <tempfile.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { BY_EXIT, BY_SIGTERM, BY_SIGTERM_WHILE_MAKING, N_WAYS };
static const char *const way_names[N_WAYS] = {
	"exit() (after 5 children's exit/SIGTERM)", "SIGTERM", "SIGTERM half way through making them",
};

static const char *dir;
static long n_files, n_dirs, n_threads;
static atomic_long n_made;
static int half_fd = -1; /* told when half are made */

static int make_dir(void)
{
	tempfile_dir *d = tempfile_dir_new(NULL, "d", dir, TEMPFILE_CLEANUP_AT_EXIT);
	int fd;

	if (!d)
		return -1;
	if ((fd = tempfile_mkstempat(tempfile_dir_fd(d), NULL, NULL, 0, NULL)) < 0 ||
	    close(fd) < 0 || tempfile_mkdtempat(tempfile_dir_fd(d), NULL, NULL, NULL) < 0)
		return -1;
	return 0; /* held until the process dies */
}

static int make_file(void)
{
	tempfile *tf = tempfile_named(NULL, "f", dir, TEMPFILE_CLEANUP_AT_EXIT);

	if (!tf || tempfile_write(tf, "x", 1) != 1 || tempfile_closefd(tf) != 0)
		return -1;
	return 0; /* held until the process dies */
}

static void *maker(void *arg)
{
	long index = (long)(intptr_t)arg, i;
	long files = n_files / n_threads + (index < n_files % n_threads);
	long dirs = n_dirs / n_threads + (index < n_dirs % n_threads);
	long total = n_files + n_dirs, step = dirs ? (files + dirs) / dirs : 1, dirs_made = 0;

	/* Directories spread among the files. */
	for (i = 0; i < files + dirs; i++) {
		int is_dir = dirs_made < dirs && i % step == 0;

		dirs_made += is_dir;
		if ((is_dir ? make_dir() : make_file()) < 0) {
			st_fail("%s: %s", is_dir ? "dir_new" : "named", strerror(errno));
			continue;
		}
		if (atomic_fetch_add(&n_made, 1) + 1 == total / 2 && half_fd >= 0)
			if (write(half_fd, "h\n", 2) != 2)
				st_fail("telling the parent: %s", strerror(errno));
	}
	return NULL;
}

enum { GC_FORK, GC_UNDERSCORE_FORK, GC_SYSCALL, GC_CLONE, GC_SIGTERM, N_GC };

/* A grandchild: one file of its own, then exit() or death by SIGTERM. */
static int grandchild(void *arg)
{
	int how = (int)(intptr_t)arg;
	tempfile *tf = tempfile_named(NULL, "g", dir, TEMPFILE_CLEANUP_AT_EXIT);

	if (!tf || tempfile_closefd(tf) != 0)
		_exit(1);
	if (how == GC_SIGTERM)
		raise(SIGTERM);
	exit(0);
}

static pid_t spawn_grandchild(int how)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	pid_t pid;

	if (how == GC_CLONE)
		return clone(grandchild, stack + sizeof stack, SIGCHLD, (void *)(intptr_t)how);
#ifdef HAVE__FORK
	if (how == GC_UNDERSCORE_FORK)
		pid = _Fork();
	else
#endif
	if (how == GC_SYSCALL || how == GC_UNDERSCORE_FORK)
		pid = (pid_t)syscall(SYS_fork);
	else
		pid = fork();
	if (pid == 0)
		grandchild((void *)(intptr_t)how);
	return pid;
}

/* With everything pending here, children of this process that exit or
 * die must remove their own entries and none of ours. */
static void grandchildren(void)
{
	long before = st_count_dir(dir), after;
	int how, status;

	for (how = 0; how < N_GC; how++) {
		pid_t pid = spawn_grandchild(how);

		if (pid < 0) {
			st_fail("a grandchild: %s", strerror(errno));
			continue;
		}
		status = st_wait(pid, 120, "grandchild");
		if (status != -1 && (how == GC_SIGTERM ? !WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM
		                                       : !WIFEXITED(status) || WEXITSTATUS(status) != 0))
			st_fail("grandchild %d: wait status 0x%x", how, status);
	}
	after = st_count_dir(dir);
	if (after != before)
		st_fail("%d children exited or died with %ld entries pending: %ld are left",
		        N_GC, before, after);
}

/* The child: makes everything, reports, and waits to be told to exit or
 * to be killed. */
static int child(int way, int report_fd, int go_fd)
{
	pthread_t *t = calloc((size_t)n_threads, sizeof *t);
	long failed = st_failures(); /* the parent's, before the fork */
	double start = st_now();
	char line[128], go;
	long i;

	if (way == BY_SIGTERM_WHILE_MAKING)
		half_fd = report_fd;
	for (i = 0; i < n_threads; i++)
		if (pthread_create(&t[i], NULL, maker, (void *)(intptr_t)i) != 0) {
			perror("pthread_create");
			return 2;
		}
	for (i = 0; i < n_threads; i++)
		pthread_join(t[i], NULL);
	if (way == BY_EXIT)
		grandchildren();
	failed = st_failures() - failed;
	snprintf(line, sizeof line, "%ld %.2f %ld\n", atomic_load(&n_made), st_now() - start, failed);
	if (st_write_all(report_fd, line, strlen(line)) < 0)
		return 2;
	/* The parent counts, then says go (or sends SIGTERM). */
	if (read(go_fd, &go, 1) != 1)
		return 3;
	exit(failed ? 1 : 0); /* the library's exit hook removes all */
}

static ssize_t read_line(int fd, char *buf, size_t size)
{
	size_t n = 0;

	while (n + 1 < size) {
		ssize_t r = read(fd, buf + n, 1);

		if (r <= 0)
			return r;
		if (buf[n++] == '\n')
			break;
	}
	buf[n] = '\0';
	return (ssize_t)n;
}

static void run(int way)
{
	int report[2], go[2], status;
	long made = 0, failed = 0, before = -1, after;
	double secs = 0, t0;
	char line[128];
	pid_t pid;

	if (pipe(report) < 0 || pipe(go) < 0 || (pid = fork()) < 0) {
		perror("stress_atexit: pipe/fork");
		exit(2);
	}
	if (pid == 0) {
		close(report[0]);
		close(go[1]);
		_exit(child(way, report[1], go[0]));
	}
	close(report[1]);
	close(go[0]);
	t0 = st_now();
	if (way == BY_SIGTERM_WHILE_MAKING) {
		if (read_line(report[0], line, sizeof line) != 2 || line[0] != 'h')
			st_fail("%s: the child did not get half way", way_names[way]);
		kill(pid, SIGTERM);
	} else {
		if (read_line(report[0], line, sizeof line) <= 0 ||
		    sscanf(line, "%ld %lf %ld", &made, &secs, &failed) != 3)
			st_fail("%s: no report from the child", way_names[way]);
		before = st_count_dir(dir);
		printf("  %-42s %ld made in %.1f s (%ld failed), %ld entries counted;",
		       way_names[way], made, secs, failed, before);
		if (made != n_files + n_dirs || failed || before != made)
			st_fail("%s: %ld made, %ld failed, %ld counted", way_names[way], made, failed, before);
		t0 = st_now();
		if (way == BY_EXIT) {
			if (write(go[1], "g", 1) != 1)
				st_fail("telling the child to exit: %s", strerror(errno));
		} else
			kill(pid, SIGTERM);
	}
	status = st_wait(pid, 300, way_names[way]);
	after = st_count_dir(dir);
	if (way == BY_SIGTERM_WHILE_MAKING)
		printf("  %-42s killed at >= %ld made;", way_names[way], (n_files + n_dirs) / 2);
	printf(" dead %.1f s later, %ld entries left\n", st_now() - t0, after);
	if (status != -1 && (way == BY_EXIT ? !WIFEXITED(status) || WEXITSTATUS(status) != 0
	                                    : !WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM))
		st_fail("%s: wait status 0x%x", way_names[way], status);
	if (after != 0)
		st_fail("%s: %ld entries left behind", way_names[way], after);
	close(report[0]);
	close(go[1]);
}

int main(void)
{
	const char *base = getenv("STRESS_DIR");
	double start = st_now();
	int way;

	n_files = st_env_long("STRESS_FILES", 95000);
	n_dirs = st_env_long("STRESS_DIRS", 5000);
	n_threads = st_env_long("STRESS_THREADS", 4);
	printf("stress_atexit: %ld files and %ld directories pending, from %ld threads; RLIMIT_NOFILE %ld\n",
	       n_files, n_dirs, n_threads, st_raise_nofile());
	if (n_threads < 1 || !(dir = tempfile_mkdtemp(NULL, "stress-atexit.", base ? base : "."))) {
		perror("stress_atexit: setup");
		return 2;
	}
	fflush(stdout);
	for (way = 0; way < N_WAYS; way++) {
		run(way);
		fflush(stdout);
	}
	if (st_rmtree(dir) != 0)
		st_fail("removing %s: %s", dir, strerror(errno));
	printf("stress_atexit: %s: %ld failures, %.1f s\n", st_failures() ? "FAILED" : "ok",
	       st_failures(), st_now() - start);
	return st_failures() ? 1 : 0;
}
