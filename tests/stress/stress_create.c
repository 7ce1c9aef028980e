/*
 * Stress 1: every kind of creation at once, in one directory.
 *
 * STRESS_PROCS processes x STRESS_THREADS threads each make STRESS_N of
 * every kind below, interleaved, in one shared directory.  Every named
 * entry stays in place (or its object stays open) until all processes are
 * done, so that no two can legitimately share a name: the parent collects
 * every name through pipes and then requires (1) no name twice, (2) the
 * directory to hold exactly the names reported, nothing more (no leftover
 * of an unnamed, spooled or closed object) and nothing less, and, after the
 * held objects are closed, (3) exactly the names that were to stay.
 */
#define _GNU_SOURCE
#define TEMPFILE_NO_DEPRECATED_WARNINGS 1 /* tempfile_mktemp is a kind too */
#include "stress.h"

#include <tempfile.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* TemporaryDirectory objects hold a descriptor each: at most this many
 * open per thread, the oldest closed first. */
#define DIR_WINDOW 64
#define KINDS 13

static const char *const kind_names[KINDS] = {
	"mkstemp", "mkstempat", "mkdtemp", "mkdtempat", "mktemp+O_EXCL",
	"named KEEP", "named closefd (held)", "unnamed", "spooled+rollover",
	"dir_new (+file inside)", "mkunique fifo", "mkunique symlink",
	"write_file (replace)",
};

static const char *dir;    /* the shared directory */
static int dirfd_;         /* open on it, in this process */
static long n_each, proc_index;

struct worker {
	pthread_t thread;
	int index;
	struct st_names kept;  /* entries that stay */
	struct st_names held;  /* names of the objects in held[] */
	tempfile **held_tf;    /* closed after the parent has looked */
	size_t n_held;
	double seconds;
};

static void keep_path(struct worker *w, const char *path)
{
	const char *slash = strrchr(path, '/');

	if (!slash || strncmp(path, dir, (size_t)(slash - path)) != 0 ||
	    dir[slash - path] != '\0')
		st_fail("%s is not in %s", path, dir);
	st_names_add(&w->kept, slash ? slash + 1 : path);
}

static int make_fifo(int fd, const char *name, void *arg)
{
	(void)arg;
	return mkfifoat(fd, name, 0600);
}

static int make_symlink(int fd, const char *name, void *arg)
{
	(void)arg;
	return symlinkat("nowhere", fd, name);
}

static void do_files(struct worker *w)
{
	char *path = NULL;
	int fd;

	if ((fd = tempfile_mkstemp(".f", "ms", dir, 0, &path)) < 3 || close(fd) < 0)
		st_fail("mkstemp: %d, %s", fd, strerror(errno));
	else
		keep_path(w, path);
	free(path);
	path = NULL;
	if ((fd = tempfile_mkstempat(dirfd_, NULL, "ma", 0, &path)) < 3 || close(fd) < 0)
		st_fail("mkstempat: %d, %s", fd, strerror(errno));
	else
		st_names_add(&w->kept, path);
	free(path);
	path = NULL;
	if (!(path = tempfile_mkdtemp(NULL, "md", dir)))
		st_fail("mkdtemp: %s", strerror(errno));
	else
		keep_path(w, path);
	free(path);
	path = NULL;
	if (tempfile_mkdtempat(dirfd_, NULL, "mda", &path) != 0)
		st_fail("mkdtempat: %s", strerror(errno));
	else
		st_names_add(&w->kept, path);
	free(path);
	/* As a careless program would use it: taken by the time it is used
	 * means two calls were handed one name. */
	if (!(path = tempfile_mktemp(NULL, "mt", dir)))
		st_fail("mktemp: %s", strerror(errno));
	else if ((fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0 || close(fd) < 0)
		st_fail("mktemp gave %s, then open: %s", path, strerror(errno));
	else
		keep_path(w, path);
	free(path);
}

static void do_objects(struct worker *w)
{
	char buf[64] = { 0 };
	tempfile *tf;

	if (!(tf = tempfile_named(NULL, "nk", dir, TEMPFILE_KEEP)) ||
	    tempfile_write(tf, "x", 1) != 1)
		st_fail("named KEEP: %s", strerror(errno));
	else
		keep_path(w, tempfile_name(tf));
	if (tf && tempfile_close(tf) != 0)
		st_fail("named KEEP: close: %s", strerror(errno));
	if (!(tf = tempfile_named(NULL, "nh", dir, 0)) || tempfile_write(tf, "x", 1) != 1 ||
	    tempfile_closefd(tf) != 0) {
		st_fail("named, closefd: %s", strerror(errno));
		tempfile_close(tf);
	} else {
		const char *name = tempfile_name(tf);

		st_names_add(&w->held, strrchr(name, '/') + 1);
		w->held_tf[w->n_held++] = tf;
	}
	if (!(tf = tempfile_unnamed(NULL, "un", dir, 0)) || tempfile_write(tf, "x", 1) != 1 ||
	    tempfile_close(tf) != 0)
		st_fail("unnamed: %s", strerror(errno));
	/* Past max_size: rolled over to disk, contents kept. */
	if (!(tf = tempfile_spooled(16, NULL, "sp", dir, 0)) ||
	    tempfile_write(tf, "0123456789abcdef0123456789abcdef", 32) != 32 ||
	    tempfile_rolled(tf) != 1 || tempfile_seek(tf, 0, SEEK_SET) != 0 ||
	    tempfile_read(tf, buf, sizeof buf) != 32 ||
	    memcmp(buf, "0123456789abcdef0123456789abcdef", 32) != 0)
		st_fail("spooled+rollover: %s", strerror(errno));
	if (tf && tempfile_close(tf) != 0)
		st_fail("spooled: close: %s", strerror(errno));
}

static void do_dir(tempfile_dir **window, long i)
{
	tempfile_dir **slot = &window[i % DIR_WINDOW];
	int fd;

	if (*slot && tempfile_dir_close(*slot) != 0)
		st_fail("dir_close: %s", strerror(errno));
	if (!(*slot = tempfile_dir_new(NULL, "dn", dir, 0)))
		st_fail("dir_new: %s", strerror(errno));
	else if ((fd = tempfile_mkstempat(tempfile_dir_fd(*slot), NULL, NULL, 0, NULL)) < 3 ||
	         close(fd) < 0)
		st_fail("mkstempat in a dir_new: %s", strerror(errno));
}

static void do_others(struct worker *w, const char *target)
{
	char *name = NULL;

	if (tempfile_mkunique(dirfd_, NULL, "fi", make_fifo, NULL, &name) < 0)
		st_fail("mkunique fifo: %s", strerror(errno));
	else
		st_names_add(&w->kept, name);
	free(name);
	name = NULL;
	if (tempfile_mkunique(dirfd_, ".l", "sl", make_symlink, NULL, &name) < 0)
		st_fail("mkunique symlink: %s", strerror(errno));
	else
		st_names_add(&w->kept, name);
	free(name);
	if (tempfile_write_file(target, "data\n", 5, 0) != 0)
		st_fail("write_file %s: %s", target, strerror(errno));
}

static void *work(void *arg)
{
	struct worker *w = arg;
	tempfile_dir *window[DIR_WINDOW] = { 0 };
	char target[4096];
	double start = st_now();
	long i;

	snprintf(target, sizeof target, "%s/wf-%ld-%d", dir, proc_index, w->index);
	w->held_tf = calloc((size_t)n_each, sizeof *w->held_tf);
	for (i = 0; i < n_each; i++) {
		do_files(w);
		do_objects(w);
		do_dir(window, i);
		do_others(w, target);
	}
	for (i = 0; i < DIR_WINDOW; i++)
		if (window[i] && tempfile_dir_close(window[i]) != 0)
			st_fail("dir_close: %s", strerror(errno));
	if (n_each > 0)
		st_names_add(&w->kept, strrchr(target, '/') + 1);
	w->seconds = st_now() - start;
	return NULL;
}

static int send_names(FILE *out, char tag, const struct st_names *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (fprintf(out, "%c%s\n", tag, l->v[i]) < 0)
			return -1;
	return 0;
}

/* One process: its threads make everything, it reports the names and
 * waits for the parent's word to close the held objects. */
static int child(long threads, int out_fd, int go_fd)
{
	struct worker *w = calloc((size_t)threads, sizeof *w);
	FILE *out = fdopen(out_fd, "w");
	double slowest = 0;
	char go;
	long t;
	size_t i;

	if ((dirfd_ = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 || !w || !out) {
		perror("child setup");
		return 2;
	}
	for (t = 0; t < threads; t++) {
		w[t].index = (int)t;
		if (pthread_create(&w[t].thread, NULL, work, &w[t]) != 0) {
			perror("pthread_create");
			return 2;
		}
	}
	for (t = 0; t < threads; t++) {
		pthread_join(w[t].thread, NULL);
		if (w[t].seconds > slowest)
			slowest = w[t].seconds;
		if (send_names(out, 'K', &w[t].kept) < 0 || send_names(out, 'H', &w[t].held) < 0)
			st_fail("writing names: %s", strerror(errno));
	}
	fprintf(out, "E %ld %.2f\n", st_failures(), slowest);
	if (fclose(out) != 0)
		st_fail("writing names: %s", strerror(errno));
	if (read(go_fd, &go, 1) != 1)
		st_fail("no word from the parent");
	for (t = 0; t < threads; t++)
		for (i = 0; i < w[t].n_held; i++)
			if (tempfile_close(w[t].held_tf[i]) != 0)
				st_fail("close of a held named file: %s", strerror(errno));
	return st_failures() ? 1 : 0;
}

/* Reads one child's report into kept and held; its failures, or -1. */
static long collect(int fd, struct st_names *kept, struct st_names *held, double *slowest)
{
	FILE *in = fdopen(fd, "r");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	long failed = -1;
	double secs;

	while (in && (len = getline(&line, &cap, in)) > 0) {
		if (line[len - 1] == '\n')
			line[--len] = '\0';
		if (line[0] == 'K' || line[0] == 'H')
			st_names_add(line[0] == 'K' ? kept : held, line + 1);
		else if (sscanf(line, "E %ld %lf", &failed, &secs) == 2 && secs > *slowest)
			*slowest = secs;
	}
	free(line);
	if (in)
		fclose(in);
	return failed;
}

/* The directory must hold exactly want (sorted, without repeats). */
static void compare_dir(const struct st_names *want, const char *when)
{
	struct st_names have = { 0 };
	size_t i = 0, j = 0, extra = 0, missing = 0;

	if (st_list_dir(dir, &have) < 0) {
		st_fail("listing %s: %s", dir, strerror(errno));
		return;
	}
	st_names_dups(&have, "listing");
	while (i < want->n || j < have.n) {
		int c = i == want->n ? 1 : j == have.n ? -1 : strcmp(want->v[i], have.v[j]);

		if (c < 0 && ++missing <= 5)
			fprintf(stderr, "%s: reported but not there: %s\n", when, want->v[i]);
		if (c > 0 && ++extra <= 5)
			fprintf(stderr, "%s: there but not reported: %s\n", when, have.v[j]);
		i += c <= 0;
		j += c >= 0;
	}
	printf("  %s: %zu entries in the directory; %zu missing, %zu not reported\n",
	       when, have.n, missing, extra);
	if (missing || extra)
		st_fail("%s: the directory does not hold exactly the names reported", when);
	st_names_free(&have);
}

/* Starts process p: its report comes on *report, its word to go on *go. */
static pid_t start_child(long p, long threads, int *report, int *go)
{
	int names[2], word[2];
	pid_t pid;

	if (pipe(names) < 0 || pipe(word) < 0 || (pid = fork()) < 0) {
		perror("stress_create: pipe/fork");
		exit(2);
	}
	if (pid == 0) {
		close(names[0]);
		close(word[1]);
		proc_index = p;
		_exit(child(threads, names[1], word[0]));
	}
	close(names[1]);
	close(word[0]);
	*report = names[0];
	*go = word[1];
	return pid;
}

int main(void)
{
	long procs = st_env_long("STRESS_PROCS", 4), threads = st_env_long("STRESS_THREADS", 4);
	struct st_names kept = { 0 }, held = { 0 }, all = { 0 };
	const char *base = getenv("STRESS_DIR");
	double start = st_now(), slowest = 0, t_made;
	pid_t *pid;
	int *go, *report, k;
	long p, f;
	size_t dups, i;

	n_each = st_env_long("STRESS_N", 5000);
	pid = calloc((size_t)procs, sizeof *pid);
	go = calloc((size_t)procs, sizeof *go);
	report = calloc((size_t)procs, sizeof *report);
	printf("stress_create: %ld processes x %ld threads x %ld of each of %d kinds in one directory\n",
	       procs, threads, n_each, KINDS);
	for (k = 0; k < KINDS; k++)
		printf("  kind %2d: %s\n", k + 1, kind_names[k]);
	printf("  RLIMIT_NOFILE: %ld\n", st_raise_nofile());
	/* The parent draws names before it forks: the children must not
	 * repeat them. */
	if (!(dir = tempfile_mkdtemp(NULL, "stress-create.", base ? base : ".")) ||
	    !pid || !go || !report) {
		perror("stress_create: setup");
		return 2;
	}
	fflush(stdout);
	for (p = 0; p < procs; p++)
		pid[p] = start_child(p, threads, &report[p], &go[p]);
	/* In order: a process that is done first waits on a full pipe. */
	for (p = 0; p < procs; p++)
		if ((f = collect(report[p], &kept, &held, &slowest)) != 0)
			st_fail("process %ld: %s", p, f < 0 ? "no report" : "failures (above)");
	t_made = st_now() - start;
	for (i = 0; i < kept.n; i++)
		st_names_add(&all, kept.v[i]);
	for (i = 0; i < held.n; i++)
		st_names_add(&all, held.v[i]);
	dups = st_names_dups(&all, "stress_create");
	printf("  made in %.1f s (slowest thread %.1f s): %zu names reported (%zu to stay, %zu held open), %zu repeated\n",
	       t_made, slowest, all.n, kept.n, held.n, dups);
	if (dups)
		st_fail("%zu names were handed out twice", dups);
	compare_dir(&all, "all held");
	for (p = 0; p < procs; p++)
		if (write(go[p], "g", 1) != 1)
			st_fail("telling process %ld to go on: %s", p, strerror(errno));
	for (p = 0; p < procs; p++) {
		int status = st_wait(pid[p], 300, "stress_create");

		if (status != -1 && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
			st_fail("process %ld: wait status 0x%x", p, status);
	}
	st_names_dups(&kept, "kept");
	compare_dir(&kept, "held ones closed");
	if (st_rmtree(dir) != 0)
		st_fail("removing %s: %s", dir, strerror(errno));
	printf("stress_create: %s: %ld failures, %zu repeated names, %.1f s in all\n",
	       st_failures() ? "FAILED" : "ok", st_failures(), dups, st_now() - start);
	st_names_free(&kept);
	st_names_free(&held);
	st_names_free(&all);
	return st_failures() ? 1 : 0;
}
