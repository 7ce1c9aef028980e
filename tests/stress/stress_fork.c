/*
 * Stress 2: a fork storm while names are drawn.
 *
 * STRESS_DRAWERS threads keep calling tempfile_mktemp() and
 * tempfile_mkstemp() while STRESS_FORKERS other threads make children every
 * way there is: fork(), _Fork() (glibc 2.34+; else syscall(SYS_fork)),
 * syscall(SYS_fork), clone() without CLONE_VM, and vfork() followed by
 * exec or _exit.  A forker draws names just before and just after each
 * fork, so its buffer is part used when it forks; each child draws
 * CHILD_NAMES names from the library and reports them through a pipe.
 * The random part (TEMPFILE_NAME_LEN characters) of every name recorded
 * is compared: no child may repeat a name of the parent's or of another
 * child's, and every child must report and exit within the time limit.
 *
 * Children other than fork()'s may find a lock of the C library's held
 * (malloc's): they use only what the library does without allocating
 * (tempfile_names_next(), tempfile_mkunique() without a name) and write(2).
 *
 * The drawers also keep TEMPFILE_CLEANUP_AT_EXIT files pending, made and
 * closed all the while; fork()'s children end with exit(), the others
 * (but vfork()'s, which share our memory) call tempfile_cleanup_all()
 * before _exit(): none may remove a file of ours, which the drawers check
 * before they close each.
 */
#define _GNU_SOURCE
#define TEMPFILE_NO_DEPRECATED_WARNINGS 1
#include "config.h"
#include "stress.h"

#include <tempfile.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* Names a child draws through each of the two allocation-free calls;
 * more than the 64 a buffer holds in all, so that children refill too.
 * The first CHILD_RECORDED of each kind are reported: a child that went
 * on with its parent's buffer would repeat from its first name, and
 * fewer names recorded keep a repeat by pure chance unlikely (the
 * expectation is printed). */
#define CHILD_DRAWS 36
#define CHILD_RECORDED 4
/* Names a forker draws around each fork. */
#define AROUND 2
#define WAIT_SECONDS 60.0
/* TEMPFILE_CLEANUP_AT_EXIT files a drawer keeps open. */
#define PENDING 16

enum { BY_FORK, BY_UNDERSCORE_FORK, BY_SYSCALL, BY_CLONE, BY_VFORK, N_WAYS };
static const char *const way_names[N_WAYS] = {
	"fork()",
#ifdef HAVE__FORK
	"_Fork()",
#else
	"_Fork() (none here: syscall(SYS_fork))",
#endif
	"syscall(SYS_fork)", "clone() without CLONE_VM", "vfork()+exec/_exit",
};

static const char *dir;
static int dirfd_, report_fd[2];
static atomic_int stop;
static atomic_long made[N_WAYS], hung, bad_exit, pending_made, pending_lost;

/* A child's report: one write of at most PIPE_BUF bytes, so that reports
 * never interleave. */
struct report {
	char buf[PIPE_BUF];
	size_t len;
	int drawn; /* by tempfile_mkunique() */
};

static void report_add(struct report *r, const char *name)
{
	if (r->len + TEMPFILE_NAME_LEN + 1 < sizeof r->buf) {
		memcpy(r->buf + r->len, name, TEMPFILE_NAME_LEN);
		r->len += TEMPFILE_NAME_LEN;
		r->buf[r->len++] = ' ';
	}
}

/* tempfile_mkunique()'s create, making nothing: the name is the point. */
static int record_name(int fd, const char *name, void *arg)
{
	struct report *r = arg;

	(void)fd;
	/* The random part follows the one-letter prefix. */
	if (r->drawn++ < CHILD_RECORDED)
		report_add(r, name + 1);
	return 0;
}

/* What every child does, without allocating; 0 or 1 (a failure). */
static int child_draws(struct report *r, int way)
{
	char name[TEMPFILE_NAME_LEN + 1];
	int i;

	r->len = (size_t)snprintf(r->buf, sizeof r->buf, "%d ", way);
	r->drawn = 0;
	for (i = 0; i < CHILD_DRAWS; i++) {
		if (tempfile_names_next(tempfile_candidate_names(), name, sizeof name) != 0 ||
		    tempfile_mkunique(dirfd_, NULL, "c", record_name, r, NULL) != 0)
			return 1;
		if (i < CHILD_RECORDED)
			report_add(r, name);
	}
	return 0;
}

static int child_send(struct report *r, int failed)
{
	r->buf[r->len - 1] = '\n';
	if (failed) {
		static const char msg[] = "stress_fork: a child could not draw names\n";

		write(2, msg, sizeof msg - 1);
		return 1;
	}
	return write(report_fd[1], r->buf, r->len) == (ssize_t)r->len ? 0 : 1;
}

/* A fork() child may allocate: it also makes real files. */
static int fork_child_extra(struct report *r)
{
	char *path;
	int i, fd;

	for (i = 0; i < 4; i++) {
		if (!(path = tempfile_mktemp(NULL, "c", dir)))
			return 1;
		report_add(r, strrchr(path, '/') + 2);
		free(path);
		if ((fd = tempfile_mkstemp(NULL, "c", dir, 0, &path)) < 0)
			return 1;
		report_add(r, strrchr(path, '/') + 2);
		close(fd);
		unlink(path);
		free(path);
	}
	return 0;
}

static int clone_child(void *arg)
{
	struct report r;
	int failed;

	(void)arg;
	failed = child_send(&r, child_draws(&r, BY_CLONE));
	tempfile_cleanup_all(); /* must leave the parent's files alone */
	_exit(failed);
}

/* Makes one child the given way; returns its pid, or -1. */
static pid_t spawn(int way, char *stack, size_t stack_size)
{
	struct report r;
	pid_t pid;
	int failed;

	switch (way) {
	case BY_FORK:
		if ((pid = fork()) == 0) {
			failed = child_draws(&r, way) || fork_child_extra(&r);
			/* The exit hook must leave the parent's files alone. */
			exit(child_send(&r, failed));
		}
		return pid;
	case BY_UNDERSCORE_FORK:
	case BY_SYSCALL:
#ifdef HAVE__FORK
		pid = way == BY_SYSCALL ? (pid_t)syscall(SYS_fork) : _Fork();
#else
		pid = (pid_t)syscall(SYS_fork);
#endif
		if (pid == 0) {
			failed = child_send(&r, child_draws(&r, way));
			tempfile_cleanup_all();
			_exit(failed);
		}
		return pid;
	case BY_CLONE:
		return clone(clone_child, stack + stack_size, SIGCHLD, NULL);
	default:
		/* The child borrows our memory, this thread's name buffer
		 * included, until it execs or exits: it must not repeat
		 * what this thread draws next either. */
		if ((pid = vfork()) == 0) {
			static char true_name[] = "true";
			static char *const argv[] = { true_name, NULL };

			failed = child_send(&r, child_draws(&r, way));
			if (!failed && (r.len & 1))
				execve("/bin/true", argv, environ);
			_exit(failed);
		}
		return pid;
	}
}

struct thread {
	pthread_t thread;
	long forks;
	struct st_names names; /* the random parts drawn here, in the parent */
	long cap;              /* drawers: how many of them to record */
};

static void draw_recorded(struct thread *t, int n)
{
	char name[TEMPFILE_NAME_LEN + 1];
	int i;

	for (i = 0; i < n; i++) {
		if (tempfile_names_next(tempfile_candidate_names(), name, sizeof name) != 0)
			st_fail("names_next: %s", strerror(errno));
		else
			st_names_add(&t->names, name);
	}
}

static void *forker(void *arg)
{
	struct thread *t = arg;
	size_t stack_size = 256 * 1024;
	char *stack = malloc(stack_size);
	pid_t pid[N_WAYS];
	long round;
	int way, status;

	for (round = 0; round * N_WAYS < t->forks; round++) {
		for (way = 0; way < N_WAYS; way++) {
			draw_recorded(t, AROUND);
			if ((pid[way] = spawn(way, stack, stack_size)) < 0)
				st_fail("%s: %s", way_names[way], strerror(errno));
			else
				atomic_fetch_add(&made[way], 1);
			draw_recorded(t, AROUND);
		}
		for (way = 0; way < N_WAYS; way++) {
			if (pid[way] <= 0)
				continue;
			status = st_wait(pid[way], WAIT_SECONDS, way_names[way]);
			if (status == -1)
				atomic_fetch_add(&hung, 1);
			else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
				atomic_fetch_add(&bad_exit, 1);
				st_fail("a %s child: wait status 0x%x", way_names[way], status);
			}
		}
	}
	free(stack);
	return NULL;
}

/* Closes a pending file, which must still be there. */
static void close_pending(tempfile *tf)
{
	struct stat st;

	if (lstat(tempfile_name(tf), &st) != 0) {
		atomic_fetch_add(&pending_lost, 1);
		st_fail("pending %s was removed by someone else", tempfile_name(tf));
	}
	if (tempfile_close(tf) != 0)
		st_fail("closing a pending file: %s", strerror(errno));
}

static void *drawer(void *arg)
{
	struct thread *t = arg;
	tempfile *ring[PENDING] = { 0 };
	char *path;
	int fd, odd = 0;
	long n = 0;

	while (!atomic_load(&stop)) {
		tempfile **slot = &ring[n++ % PENDING];

		if (*slot)
			close_pending(*slot);
		if (!(*slot = tempfile_named(NULL, "h", dir, TEMPFILE_CLEANUP_AT_EXIT)) ||
		    tempfile_closefd(*slot) != 0)
			st_fail("a pending file: %s", strerror(errno));
		else
			atomic_fetch_add(&pending_made, 1);
		odd = !odd;
		if (odd)
			path = tempfile_mktemp(NULL, "d", dir);
		else if ((fd = tempfile_mkstemp(NULL, "d", dir, 0, &path)) >= 0)
			close(fd);
		else
			path = NULL;
		if (!path) {
			st_fail("drawer: %s", strerror(errno));
			continue;
		}
		if ((long)t->names.n < t->cap)
			st_names_add(&t->names, strrchr(path, '/') + 2);
		if (!odd)
			unlink(path);
		free(path);
	}
	for (n = 0; n < PENDING; n++)
		if (ring[n])
			close_pending(ring[n]);
	return NULL;
}

/* Collects the children's reports until every writer has gone. */
static void *reader(void *arg)
{
	struct st_names *out = arg;
	FILE *in = fdopen(report_fd[0], "r");
	char *line = NULL, *tok, *save;
	size_t cap = 0;

	while (in && getline(&line, &cap, in) > 0) {
		tok = strtok_r(line, " \n", &save); /* the way it was made */
		while ((tok = strtok_r(NULL, " \n", &save)))
			if (strlen(tok) == TEMPFILE_NAME_LEN)
				st_names_add(out, tok);
			else
				st_fail("a child sent '%s'", tok);
		out[1].n++; /* reports */
	}
	free(line);
	if (in)
		fclose(in);
	return NULL;
}

/* Repeats between names that came from different places: parent (tag
 * 'p') and children ('c').  All names are in one list, each prefixed by
 * its tag. */
static size_t repeats(struct st_names *all, size_t *parent_only)
{
	size_t i, j, k, n = 0;

	*parent_only = 0;
	/* Sorted by name with the tag last, so equal names are adjacent. */
	st_names_sort(all);
	for (i = 0; i < all->n; i = j) {
		int child = 0;

		for (j = i + 1; j < all->n && strncmp(all->v[i], all->v[j], TEMPFILE_NAME_LEN) == 0; j++)
			;
		if (j - i < 2)
			continue;
		for (k = i; k < j; k++)
			child |= all->v[k][TEMPFILE_NAME_LEN] == 'c';
		if (child)
			n += j - i - 1;
		else
			*parent_only += j - i - 1;
		if (n + *parent_only <= 20)
			fprintf(stderr, "stress_fork: %s repeated (%s)\n", all->v[i],
			        child ? "by a child" : "within the parent");
	}
	return n;
}

static void tag_into(struct st_names *all, const struct st_names *from, char tag)
{
	char buf[TEMPFILE_NAME_LEN + 2];
	size_t i;

	for (i = 0; i < from->n; i++) {
		memcpy(buf, from->v[i], TEMPFILE_NAME_LEN);
		buf[TEMPFILE_NAME_LEN] = tag;
		buf[TEMPFILE_NAME_LEN + 1] = '\0';
		st_names_add(all, buf);
	}
}

int main(void)
{
	long n_drawers = st_env_long("STRESS_DRAWERS", 2), n_forkers = st_env_long("STRESS_FORKERS", 3);
	long forks = st_env_long("STRESS_FORKS", 1000), record = st_env_long("STRESS_RECORD", 4000);
	struct thread *d = calloc((size_t)n_drawers, sizeof *d), *f = calloc((size_t)n_forkers, sizeof *f);
	struct st_names child_names[2] = { { 0 } }, all = { 0 };
	const char *base = getenv("STRESS_DIR");
	double start = st_now(), pairs, chance;
	pthread_t rd;
	size_t from_parent = 0, by_child, parent_only;
	long i, total = 0;
	int w;

	printf("stress_fork: %ld forker threads x %ld children each, while %ld threads draw names\n",
	       n_forkers, forks, n_drawers);
	if (!(dir = tempfile_mkdtemp(NULL, "stress-fork.", base ? base : ".")) ||
	    (dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    pipe2(report_fd, O_CLOEXEC) < 0 || !d || !f) {
		perror("stress_fork: setup");
		return 2;
	}
	fflush(stdout);
	pthread_create(&rd, NULL, reader, child_names);
	for (i = 0; i < n_drawers; i++) {
		d[i].cap = record;
		pthread_create(&d[i].thread, NULL, drawer, &d[i]);
	}
	for (i = 0; i < n_forkers; i++) {
		f[i].forks = forks;
		pthread_create(&f[i].thread, NULL, forker, &f[i]);
	}
	for (i = 0; i < n_forkers; i++)
		pthread_join(f[i].thread, NULL);
	atomic_store(&stop, 1);
	for (i = 0; i < n_drawers; i++)
		pthread_join(d[i].thread, NULL);
	close(report_fd[1]);
	pthread_join(rd, NULL);
	for (w = 0; w < N_WAYS; w++) {
		printf("  %-40s %ld children\n", way_names[w], atomic_load(&made[w]));
		total += atomic_load(&made[w]);
	}
	for (i = 0; i < n_drawers; i++) {
		from_parent += d[i].names.n;
		tag_into(&all, &d[i].names, 'p');
	}
	for (i = 0; i < n_forkers; i++) {
		from_parent += f[i].names.n;
		tag_into(&all, &f[i].names, 'p');
	}
	tag_into(&all, &child_names[0], 'c');
	by_child = repeats(&all, &parent_only);
	pairs = (double)all.n * (double)(all.n - 1) / 2;
	chance = pairs / 3512479453921.0; /* 37^8 names */
	printf("  %ld children, %zu reported, %ld hung, %ld failed; names: %zu from the parent, %zu from children\n",
	       total, child_names[1].n, atomic_load(&hung), atomic_load(&bad_exit), from_parent,
	       child_names[0].n);
	printf("  pending (cleanup at exit) files made meanwhile: %ld; removed by a child: %ld\n",
	       atomic_load(&pending_made), atomic_load(&pending_lost));
	printf("  repeats involving a child: %zu; within the parent: %zu (expected by pure chance: %.5f)\n",
	       by_child, parent_only, chance);
	if ((long)child_names[1].n != total)
		st_fail("%ld children made, %zu reported", total, child_names[1].n);
	if (by_child || parent_only)
		st_fail("names repeated");
	if (st_rmtree(dir) != 0)
		st_fail("removing %s: %s", dir, strerror(errno));
	printf("stress_fork: %s: %ld failures, %.1f s\n", st_failures() ? "FAILED" : "ok",
	       st_failures(), st_now() - start);
	return st_failures() ? 1 : 0;
}
