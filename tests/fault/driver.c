/*
 * The fault driver: every operation of ops_*.c, with the k-th call the
 * library makes failing, for k = 1, 2, ... until the operation no longer
 * makes k calls, for each errno below.  Each run is a child process of its
 * own (a crash is counted, not fatal), in fresh private directories, and
 * is checked for the contract's answer, descriptors and memory left, and
 * entries left behind.  Prints the figure; fails unless every count but
 * the runs is 0.
 *
 * FAULT_OPS=word runs only the operations whose name contains word;
 * FAULT_VERBOSE=1 says which call each run made fail; FAULT_JOBS=n runs
 * n at a time (2); FAULT_ALL=1 runs every operation under every errno.
 */
#include "config.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "driver.h"
#include "tempfile.h"
#include "tests/testutil.h"

/* LeakSanitizer's, where the build has it. */
int __lsan_do_recoverable_leak_check(void) __attribute__((weak));

/* ENOMEM (the only one that fails the allocators), EINTR (retried in
 * places) and short transfers for every operation; of the errnos that all
 * mean "this call failed", one per operation in turn, or all of them with
 * FAULT_ALL=1. */
static const int errnos[] = { ENOMEM, EINTR, FAULT_SHORT, ENOSPC, EIO, EMFILE, EACCES };
#define N_ERRNOS (sizeof errnos / sizeof *errnos)
#define N_ALWAYS 3
/* No operation makes more calls than this; one that seems to is a defect. */
#define MAX_K 4000
/* Seconds a run may take (a hang is a crash). */
#define RUN_TIMEOUT 30

static const char *err_name(int err)
{
	switch (err) {
	case ENOSPC: return "ENOSPC";
	case EIO: return "EIO";
	case EMFILE: return "EMFILE";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EINTR: return "EINTR";
	case FAULT_SHORT: return "short";
	default: return "?";
	}
}

static const struct op *cur_op;

void fx_bad(struct fx *x, int bit, const char *file, int line, const char *fmt, ...)
{
	char msg[8192];
	size_t n;
	va_list ap;

	x->defects |= bit;
	n = (size_t)snprintf(msg, sizeof msg - 1, "  %s/%s k=%ld (%s failed): %s:%d: ",
	                     cur_op->name, err_name(x->err), x->k,
	                     x->hit ? x->hit : "nothing", file, line);
	va_start(ap, fmt);
	if (n < sizeof msg - 1)
		n += (size_t)vsnprintf(msg + n, sizeof msg - 1 - n, fmt, ap);
	va_end(ap);
	if (n > sizeof msg - 2)
		n = sizeof msg - 2;
	msg[n++] = '\n';
	/* One write, whole, among the other runs' messages. */
	fault_pause();
	if (write(2, msg, n) < 0)
		n = 0;
	fault_resume();
}

void fx_failed(struct fx *x)
{
	if (x->saved_errno == 0)
		FX_BAD(x, D_SILENT, "failed without errno");
	else if (!x->reached && x->saved_errno != x->expect)
		FX_BAD(x, D_SILENT, "failed with %s, nothing injected", strerror(x->saved_errno));
}

/* The names in dir, sorted, one a line, in out (size bytes). */
static void list(const char *dir, char *out, size_t size)
{
	struct dirent **names;
	size_t used = 0;
	int n, i;

	out[0] = '\0';
	if (!dir || (n = scandir(dir, &names, NULL, alphasort)) < 0)
		return;
	for (i = 0; i < n; i++) {
		const char *s = names[i]->d_name;

		if (strcmp(s, ".") && strcmp(s, "..") && used + strlen(s) + 2 < size)
			used += (size_t)snprintf(out + used, size - used, "%s\n", s);
		free(names[i]);
	}
	free(names);
}

void fx_snap(struct fx *x)
{
	list(x->dir, x->snap[0], sizeof x->snap[0]);
	list(x->other, x->snap[1], sizeof x->snap[1]);
}

/* Whether the call that failed was one that removes an entry: then the
 * entry may stay, and the failure says so. */
static int removal_failed(const struct fx *x)
{
	return x->may_leave || (x->hit && (!strcmp(x->hit, "unlink") ||
	                                   !strcmp(x->hit, "unlinkat") || !strcmp(x->hit, "rmdir")));
}

void fx_same(struct fx *x)
{
	char now[4096];
	int i;

	for (i = 0; i < 2; i++) {
		list(i ? x->other : x->dir, now, sizeof now);
		if (strcmp(now, x->snap[i]) && !removal_failed(x))
			FX_BAD(x, D_LEFTOVER, "entries were\n%sand are\n%s", x->snap[i], now);
	}
}

static void clear(const char *dir)
{
	struct dirent **names;
	int n, i;

	if (!dir || (n = scandir(dir, &names, NULL, NULL)) < 0)
		return;
	for (i = 0; i < n; i++) {
		const char *s = names[i]->d_name;

		if (strcmp(s, ".") && strcmp(s, "..")) {
			char *p = fx_path(dir, s);

			tu_rmtree(p);
			free(p);
		}
		free(names[i]);
	}
	free(names);
}

void fx_clear(struct fx *x)
{
	clear(x->dir);
	clear(x->other);
}

char *fx_path(const char *dir, const char *name)
{
	char *p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

void fx_put(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, s, strlen(s)) != (ssize_t)strlen(s) || close(fd) < 0) {
		perror(path);
		abort();
	}
}

int fx_holds(const char *path, const char *s)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, buf, sizeof buf);
	close(fd);
	return n == (ssize_t)strlen(s) && memcmp(buf, s, (size_t)n) == 0;
}

int fx_exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

int fx_fd_ok(int fd)
{
	int fl = fd > 2 ? fcntl(fd, F_GETFD) : -1;

	return fl >= 0 && (fl & FD_CLOEXEC);
}

static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d)
		return -1;
	while ((e = readdir(d)))
		n++;
	closedir(d);
	return n;
}

static char *base;

/* A fresh private directory under base (or under other_base). */
static char *fresh(const char *under)
{
	char *p = fx_path(under, "r.XXXXXX");

	if (!mkdtemp(p)) {
		perror(p);
		abort();
	}
	return p;
}

static char *other_base;

/* The child's part of a run: its exit status is 64 | the defect bits. */
static void run_child(const struct op *op, long k, int err)
{
	struct fx x;
	char left[4096];
	int fds;

	memset(&x, 0, sizeof x);
	alarm(RUN_TIMEOUT);
	x.dir = fresh(base);
	x.other = other_base ? fresh(other_base) : NULL;
	x.dirfd = open(x.dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	x.k = k;
	x.err = err;
	setenv("TMPDIR", x.dir, 1);
	tempfile_settempdir(x.dir);
	fds = count_fds();
	if (!__lsan_do_recoverable_leak_check)
		fault_track_start();
	op->fn(&x, op->v);
	if (count_fds() != fds)
		FX_BAD(&x, D_FD, "%d descriptors before, %d after", fds, count_fds());
	if (__lsan_do_recoverable_leak_check) {
		if (__lsan_do_recoverable_leak_check())
			FX_BAD(&x, D_MEM, "LeakSanitizer found leaks (above)");
	} else if (!op->retains && fault_track_live()) {
		FX_BAD(&x, D_MEM, "%zu allocations left", fault_track_live());
	}
	if (getenv("FAULT_VERBOSE"))
		fprintf(stderr, "  %s/%s k=%ld: %s\n", op->name, err_name(err), k,
		        x.hit ? x.hit : "(not reached)");
	list(x.dir, left, sizeof left);
	if (left[0] && !removal_failed(&x))
		FX_BAD(&x, D_LEFTOVER, "left in the directory:\n%s", left);
	if (x.other) {
		list(x.other, left, sizeof left);
		if (left[0] && !removal_failed(&x))
			FX_BAD(&x, D_LEFTOVER, "left on the other file system:\n%s", left);
		tu_rmtree(x.other);
	}
	close(x.dirfd);
	tu_rmtree(x.dir);
	tu_exit(64 | x.defects | (x.reached ? D_REACHED : 0));
}

struct figure {
	long runs, crashes, silent, fd, mem, leftover;
};

static int jobs = 2;

static pid_t start(const struct op *op, long k, int err)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("fork");
		exit(99);
	}
	if (pid == 0)
		run_child(op, k, err);
	return pid;
}

/* Adds run k's status to f; returns whether it reached its k-th call. */
static int count_run(const struct op *op, long k, int err, int status, struct figure *f)
{
	int bits;

	f->runs++;
	if (!WIFEXITED(status) || !(WEXITSTATUS(status) & 64)) {
		f->crashes++;
		fprintf(stderr, "  %s/%s k=%ld: crashed (%s %d)\n", op->name, err_name(err), k,
		        WIFSIGNALED(status) ? "signal" : "status",
		        WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
		return 1;
	}
	bits = WEXITSTATUS(status);
	f->silent += !!(bits & D_SILENT);
	f->fd += !!(bits & D_FD);
	f->mem += !!(bits & D_MEM);
	f->leftover += !!(bits & D_LEFTOVER);
	return (bits & D_REACHED) != 0;
}

/* Runs op under err for k = 1, 2, ... (jobs at a time) and adds what it
 * found to f, up to the first run that did not reach its k-th call. */
static void run_op(const struct op *op, int err, struct figure *f)
{
	pid_t pid[64];
	int status[64];
	long k;
	int i, n;

	for (k = 1; k <= MAX_K; k += n) {
		n = jobs;
		for (i = 0; i < n; i++)
			pid[i] = start(op, k + i, err);
		for (i = 0; i < n; i++)
			if (waitpid(pid[i], &status[i], 0) != pid[i]) {
				perror("waitpid");
				exit(99);
			}
		/* Those after the first that reached nothing only repeat it. */
		for (i = 0; i < n; i++)
			if (!count_run(op, k + i, err, status[i], f))
				return;
	}
	fprintf(stderr, "  %s/%s: still reaching call %d\n", op->name, err_name(err), MAX_K);
	f->silent++;
}

static void print_figure(FILE *out, const struct figure *f)
{
	fprintf(out, "fault injection: %ld runs, %ld crashes, %ld silent failures, "
	        "%ld fd leaks, %ld memory leaks, %ld leftovers (leaks by %s)\n",
	        f->runs, f->crashes, f->silent, f->fd, f->mem, f->leftover,
	        __lsan_do_recoverable_leak_check ? "LeakSanitizer" : "the allocation table");
}

/* Without LeakSanitizer the table counts what the library keeps for good
 * (the registry of exit slots, the interned directory) as left: made here
 * first, before the children, it is not theirs to make. */
static void warm_up(void)
{
	tempfile *tf = tempfile_named(NULL, NULL, base, TEMPFILE_CLEANUP_AT_EXIT);
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, base, TEMPFILE_CLEANUP_AT_EXIT);

	tempfile_close(tf);
	tempfile_dir_close(d);
	tempfile_settempdir(NULL);
}

int main(void)
{
	static const struct op *const tables[] = { ops_create, ops_io, ops_persist, ops_dir, ops_misc };
	const char *only = getenv("FAULT_OPS");
	const char *j = getenv("FAULT_JOBS");
	int all = getenv("FAULT_ALL") && !strcmp(getenv("FAULT_ALL"), "1");
	size_t turn = 0;
	struct figure total = { 0, 0, 0, 0, 0, 0 };
	char root[] = "/tmp/libtempfile-fault.XXXXXX";
	char other_root[] = "/dev/shm/libtempfile-fault.XXXXXX";
	size_t t, e;
	FILE *console;

	if (!mkdtemp(root)) {
		perror(root);
		return 99;
	}
	base = root;
	if (j && atoi(j) >= 1 && atoi(j) <= 64)
		jobs = atoi(j);
	other_base = mkdtemp(other_root);
	unsetenv("TEMP");
	unsetenv("TMP");
	tu_default_signals();
	if (!__lsan_do_recoverable_leak_check)
		warm_up();
	for (t = 0; t < sizeof tables / sizeof *tables; t++) {
		const struct op *op;

		for (op = tables[t]; op->name; op++) {
			struct figure f = { 0, 0, 0, 0, 0, 0 };

			if (only && !strstr(op->name, only))
				continue;
			cur_op = op;
			for (e = 0; e < N_ERRNOS; e++)
				if (all || e < N_ALWAYS || e == N_ALWAYS + turn % (N_ERRNOS - N_ALWAYS))
					run_op(op, errnos[e], &f);
			turn++;
			printf("%-32s %6ld runs%s\n", op->name, f.runs,
			       f.crashes + f.silent + f.fd + f.mem + f.leftover ? "  DEFECTS" : "");
			total.runs += f.runs;
			total.crashes += f.crashes;
			total.silent += f.silent;
			total.fd += f.fd;
			total.mem += f.mem;
			total.leftover += f.leftover;
		}
	}
	tu_rmtree(root);
	if (other_base)
		tu_rmtree(other_root);
	print_figure(stdout, &total);
	/* The suites' summary goes to the console on descriptor 9 too. */
	if (fcntl(9, F_GETFD) >= 0 && (console = fdopen(9, "w"))) {
		print_figure(console, &total);
		fclose(console);
	}
	return total.crashes + total.silent + total.fd + total.mem + total.leftover ? 1 : 0;
}
