/* The exit registry and the fatal-signal handler (src/atexit.c), and the
 * constructors' creation and registration under fatal signals. */
#include "src/internal.h"
#include "testutil.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int default_signals(void)
{
	REQ(tu_default_signals() == 0);
	return 0;
}

static int exists(const char *path)
{
	struct stat st;

	return lstat(path, &st) == 0;
}

/* Objects left open for exit() or a signal to find, kept reachable so that
 * LeakSanitizer and valgrind do not call them leaks (volatile: an array
 * only written to is otherwise optimised away). */
static void *volatile kept[8];

static void *keep(void *p, int i)
{
	kept[i] = p;
	return p;
}

/* ---- All six fatal signals ---- */

static int signal_child(void *arg)
{
	int sig = *(int *)arg;

	REQ(default_signals() == 0);
	REQ(keep(tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 0));
	REQ(keep(tempfile_dir_new(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 1));
	REQ(tu_count_entries(tu_base) == 2);
	raise(sig);
	return 1;
}

START_TEST(test_every_fatal_signal)
{
	int sig = tu_fatal_signals[_i];

	ck_assert_int_eq(tu_run(signal_child, &sig, 0), 100 + sig);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* ---- The handler, watched by a tracer ---- */

static pthread_t traced_main;

/* What ends the wait for a death that the tracer keeps from coming. */
static void end_on_usr1(int sig)
{
	(void)sig;
	tu_exit(0);
}

static void *wake_later(void *unused)
{
	const struct timespec pause = { 0, 300 * 1000 * 1000 };

	(void)unused;
	nanosleep(&pause, NULL);
	pthread_kill(traced_main, SIGUSR1);
	return NULL;
}

/* Traced by the test: the tracer delivers sig once and keeps the second
 * one, the handler's re-raise, from killing us, so that we can look at the
 * process our handler left.  Not under valgrind: it carries out a default
 * action itself, and when its kill of itself is kept from it, it waits for
 * the death forever (valgrind 3.19); there the handler runs untraced, and
 * the test sees the death by sig itself that its re-raise gives. */
static int traced_child(int sig)
{
	pthread_t t;
	struct tfp_exit_slot *slot;
	tempfile_dir *d;
	tempfile *tf;
	sigset_t old;

	if (!tu_valgrind())
		REQ(ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0);
	REQ(default_signals() == 0);
	REQ((tf = keep(tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 0)));
	REQ((d = keep(tempfile_dir_new(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 1)));
	REQ(!tfp_exit_removed(tf->exit_slot));
	raise(sig);
	/* Here only because the tracer kept the re-raised signal. */
	REQ(tu_count_entries(tu_base) == 0);
	REQ(tfp_exit_removed(tf->exit_slot));
	REQ(!tfp_exit_removed(NULL));
	/* Dying: nothing new is registered, so nothing is made. */
	tfp_block_fatal_signals(&old);
	errno = 0;
	slot = tfp_exit_reserve_nested();
	tfp_restore_signals(&old);
	REQ(!slot && errno == EINTR);
	errno = 0;
	REQ(!tfp_exit_register(NULL, -1) && errno == EINVAL);
	/* What the handler removed is not an error to close. */
	REQ(tempfile_close(tf) == 0);
	REQ(tempfile_dir_close(d) == 0);
	/* An outer reservation waits for the death instead (here, until
	 * SIGUSR1 ends the process): it never returns to create anything. */
	traced_main = pthread_self();
	REQ(signal(SIGUSR1, end_on_usr1) != SIG_ERR);
	REQ(pthread_create(&t, NULL, wake_later, NULL) == 0);
	/* Never joined: the process ends in the signal's handler. */
	REQ(pthread_detach(t) == 0);
	tfp_block_fatal_signals(&old);
	slot = tfp_exit_reserve();
	return 3;
}

START_TEST(test_handler_reraises)
{
	int sig = tu_fatal_signals[_i], status, seen = 0;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		tu_exit(traced_child(sig));
	if (tu_valgrind()) {
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == sig, "status %#x", status);
		ck_assert_int_eq(tu_count_entries(tu_base), 0);
		return;
	}
	for (;;) {
		int pass;

		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		if (!WIFSTOPPED(status))
			break;
		pass = WSTOPSIG(status);
		if (pass == sig && seen++ > 0)
			pass = 0;
		ck_assert_int_eq(ptrace(PTRACE_CONT, pid, NULL, (void *)(intptr_t)pass), 0);
	}
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %#x", status);
	ck_assert_int_eq(seen, 2);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* ---- SIGTERM at any instant of creation and close ---- */

enum { KIND_NAMED, KIND_DIR, KIND_UNNAMED, N_KINDS };
enum { STORM_CHILDREN = 100 };

struct storm {
	const char *dir;
	int kind;
	int ready; /* write end: told once both threads loop */
};

static void storm_round(const struct storm *st)
{
	tempfile *tf;
	tempfile_dir *d;

	switch (st->kind) {
	case KIND_NAMED:
		if ((tf = tempfile_named(NULL, NULL, st->dir, TEMPFILE_CLEANUP_AT_EXIT)))
			tempfile_close(tf);
		break;
	case KIND_DIR:
		if ((d = tempfile_dir_new(NULL, NULL, st->dir, TEMPFILE_CLEANUP_AT_EXIT)))
			tempfile_dir_close(d);
		break;
	default:
		if ((tf = tempfile_unnamed(NULL, NULL, st->dir, TEMPFILE_CLEANUP_AT_EXIT)))
			tempfile_close(tf);
		break;
	}
}

static void *storm_thread(void *arg)
{
	for (;;)
		storm_round(arg);
	return NULL;
}

static int storm_child(struct storm *st)
{
	pthread_t t;

	REQ(default_signals() == 0);
	/* The unnamed kind creates and unlinks. */
	atomic_store(&tfp_tmpfile_works, 0);
	storm_round(st); /* the handlers are in place from here on */
	REQ(pthread_create(&t, NULL, storm_thread, st) == 0);
	REQ(write(st->ready, "x", 1) == 1);
	storm_thread(st);
	return 1;
}

/* Children loop creating and closing in two threads and get SIGTERM at
 * random instants: each dies of it, and none leaves anything. */
START_TEST(test_sigterm_storm)
{
	struct storm st;
	int i, p[2], status, wrong_death = 0;
	char *dir = tu_subdir("storm", 0), c;

	st.dir = dir;
	st.kind = _i;
	srandom((unsigned)getpid());
	for (i = 0; i < STORM_CHILDREN; i++) {
		pid_t pid;

		ck_assert_int_eq(pipe(p), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(p[0]);
			st.ready = p[1];
			_exit(storm_child(&st));
		}
		close(p[1]);
		ck_assert_int_eq(read(p[0], &c, 1), 1);
		close(p[0]);
		usleep((useconds_t)(random() % 3000));
		kill(pid, SIGTERM);
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGTERM)
			wrong_death++;
	}
	ck_assert_msg(tu_count_entries(dir) == 0, "%d entries left by %d children",
	              tu_count_entries(dir), STORM_CHILDREN);
	ck_assert_int_eq(wrong_death, 0);
	free(dir);
}
END_TEST

/* ---- Another thread's creations and renames: the probe, side files ---- */

enum { OP_PROBE, OP_REPLACE, OP_PERSIST_SPOOL, OP_FIRST_USE, N_OPS };

struct op_storm {
	const char *dir;
	char *target; /* in dir: the one entry meant to stay */
	int op;
	int ready;
};

static void op_round(const struct op_storm *st)
{
	tempfile *tf;

	switch (st->op) {
	case OP_PROBE:
		free(tempfile_get_default_tempdir());
		break;
	case OP_FIRST_USE: /* the probe inside the constructor's reservation */
		tempfile_settempdir(NULL);
		if ((tf = tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT)))
			tempfile_close(tf);
		break;
	case OP_REPLACE: /* through a hidden named side file */
		tempfile_write_file(st->target, "x", 1, 0);
		break;
	default: /* copied into a side file, renamed over the target */
		if ((tf = tempfile_spooled(0, NULL, NULL, NULL, 0))) {
			tempfile_write(tf, "x", 1);
			tempfile_persist(tf, st->target, 0);
			tempfile_close(tf);
		}
		break;
	}
}

/* Holds the fatal signals off in its own thread, as the library does
 * around each step: another thread gets them. */
static void *op_thread(void *arg)
{
	sigset_t old;

	tfp_block_fatal_signals(&old);
	for (;;)
		op_round(arg);
	return NULL;
}

static int op_child(struct op_storm *st)
{
	pthread_t t;
	tempfile *tf;

	REQ(default_signals() == 0);
	atomic_store(&tfp_tmpfile_works, 0);
	REQ(setenv("TMPDIR", st->dir, 1) == 0);
	/* The handlers are in place from here on. */
	REQ((tf = tempfile_named(NULL, NULL, st->dir, TEMPFILE_CLEANUP_AT_EXIT)));
	REQ(tempfile_close(tf) == 0);
	op_round(st);
	REQ(pthread_create(&t, NULL, op_thread, st) == 0);
	REQ(write(st->ready, "x", 1) == 1);
	for (;;)
		pause();
	return 1;
}

/* Whether pid dies of SIGTERM within a few seconds (not in WAIT_LIMIT,
 * waiting for itself); killed if not. */
static int died_of_sigterm(pid_t pid)
{
	const struct timespec ms = { 0, 1000000 };
	int status, i;

	for (i = 0; i < 5000; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM;
		nanosleep(&ms, NULL);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	fprintf(stderr, "child %d hung after SIGTERM\n", (int)pid);
	return 0;
}

/* Children loop in one thread and the other one, which alone can take
 * SIGTERM, gets it at random instants: none leaves anything but the
 * target. */
START_TEST(test_sigterm_other_thread)
{
	struct op_storm st;
	int i, p[2], wrong_death = 0, left;
	char *dir = tu_subdir("opstorm", 0), c;

	st.dir = dir;
	st.op = _i;
	st.target = tu_join(dir, "target");
	srandom((unsigned)getpid());
	for (i = 0; i < STORM_CHILDREN; i++) {
		pid_t pid;

		ck_assert_int_eq(pipe(p), 0);
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			close(p[0]);
			st.ready = p[1];
			_exit(op_child(&st));
		}
		close(p[1]);
		ck_assert_int_eq(read(p[0], &c, 1), 1);
		close(p[0]);
		usleep((useconds_t)(random() % 3000));
		kill(pid, SIGTERM);
		wrong_death += !died_of_sigterm(pid);
	}
	left = tu_count_entries(dir) - exists(st.target);
	ck_assert_msg(left == 0, "%d entries left by %d children", left, STORM_CHILDREN);
	ck_assert_int_eq(wrong_death, 0);
	free(st.target);
	free(dir);
}
END_TEST

/* The cleanup running in another thread right after a rename: a file that
 * someone else has just made under the name renamed away must stay.  The
 * test binary's renameat() stands in for libc's. */
static atomic_int rename_armed;
static atomic_int cleanup_done;
static int victim_gone = -1;

static void *cleanup_then_done(void *unused)
{
	(void)unused;
	tempfile_cleanup_all();
	atomic_store(&cleanup_done, 1);
	return NULL;
}

static pthread_t cleaner;

static void after_rename(int dirfd, const char *old)
{
	struct timespec ms = { 0, 1000000 };
	struct stat st;
	int fd, i;

	fd = openat(dirfd, old, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || pthread_create(&cleaner, NULL, cleanup_then_done, NULL) != 0)
		return;
	close(fd);
	for (i = 0; i < 200 && !atomic_load(&cleanup_done); i++)
		nanosleep(&ms, NULL);
	victim_gone = fstatat(dirfd, old, &st, AT_SYMLINK_NOFOLLOW) != 0;
	unlinkat(dirfd, old, 0);
}

int renameat(int olddirfd, const char *old, int newdirfd, const char *new)
{
	int (*real)(int, const char *, int, const char *);
	int r;

	*(void **)&real = dlsym(RTLD_NEXT, "renameat");
	r = real(olddirfd, old, newdirfd, new);
	if (r == 0 && atomic_exchange(&rename_armed, 0))
		after_rename(olddirfd, old);
	return r;
}

static int rename_child(void *arg)
{
	int op = *(int *)arg;
	char *target = tu_join(tu_base, "target");
	tempfile *tf;

	REQ(default_signals() == 0);
	atomic_store(&tfp_tmpfile_works, 0);
	switch (op) {
	case OP_REPLACE: /* the hidden side file renamed by persist */
		REQ((tf = tempfile_replace(target, 0)));
		atomic_store(&rename_armed, 1);
		REQ(tempfile_commit(tf) == 0);
		break;
	case OP_PERSIST_SPOOL: /* a copy in a side file */
		REQ((tf = tempfile_spooled(0, NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT)));
		REQ(keep(tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 0));
		atomic_store(&rename_armed, 1);
		REQ(tempfile_persist(tf, target, 0) == 0);
		REQ(tempfile_close(tf) == 0);
		break;
	default: /* a named file of its own */
		REQ((tf = tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT)));
		atomic_store(&rename_armed, 1);
		REQ(tempfile_persist(tf, target, 0) == 0);
		REQ(tempfile_close(tf) == 0);
		break;
	}
	REQ(victim_gone == 0);
	REQ(pthread_join(cleaner, NULL) == 0);
	REQ(exists(target) && unlink(target) == 0);
	free(target);
	return 0;
}

START_TEST(test_cleanup_right_after_rename)
{
	int op = _i;

	ck_assert_int_eq(tu_run(rename_child, &op, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* A rename that fails gives the temporary name back to the cleanup. */
static int failed_rename_child(void *unused)
{
	char *target = tu_join(tu_base, "target");
	tempfile *tf;

	(void)unused;
	REQ(default_signals() == 0);
	tu_write_file(target, "old");
	REQ((tf = keep(tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 0)));
	REQ(tempfile_persist(tf, target, TEMPFILE_NOCLOBBER) == -1 && errno == EEXIST);
	REQ(tu_count_entries(tu_base) == 2);
	REQ(unlink(target) == 0);
	free(target);
	raise(SIGTERM);
	return 1;
}

START_TEST(test_failed_rename_still_cleaned)
{
	ck_assert_int_eq(tu_run(failed_rename_child, NULL, 0), 100 + SIGTERM);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* ---- Ownership: a process token, not the pid ---- */

enum { BY_FORK, BY_SYSCALL, BY_UNDERSCORE_FORK, N_WAYS };

static pid_t fork_by(int how)
{
	switch (how) {
#ifdef HAVE__FORK
	case BY_UNDERSCORE_FORK:
#ifdef SYS_fork
		if (tu_valgrind()) /* testutil.h */
			return (pid_t)syscall(SYS_fork);
#endif
		return _Fork();
#endif
#ifdef SYS_fork
	case BY_SYSCALL:
		return (pid_t)syscall(SYS_fork);
#endif
	default:
		return fork();
	}
}

/* pid 1 of a new pid namespace registers a file and a directory, then
 * makes a child that is pid 1 of another namespace, which calls exit():
 * the entries are the first one's, and stay until it exits. */
static int pid1_child(void *arg)
{
	int how = *(int *)arg, status;
	tempfile *tf;
	tempfile_dir *d;
	pid_t pid;

	REQ(getpid() == 1);
	REQ((tf = keep(tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 0)));
	REQ((d = keep(tempfile_dir_new(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 1)));
	REQ(unshare(CLONE_NEWPID) == 0);
	pid = fork_by(how);
	REQ(pid >= 0);
	if (pid == 0) {
		if (getpid() != 1)
			_exit(2);
		exit(0);
	}
	REQ(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	REQ(exists(tempfile_name(tf)) && exists(tempfile_dir_name(d)));
	exit(0);
}

/* Needs root: CI runs as root; elsewhere it fails, it does not skip. */
START_TEST(test_same_pid_other_namespace)
{
	int how = _i, status;
	pid_t pid;

	ck_assert_msg(unshare(CLONE_NEWPID) == 0, "unshare(CLONE_NEWPID): %s (run as root)",
	              strerror(errno));
	tu_no_leak_check = 1;
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(pid1_child(&how));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died");
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	/* ...and its own exit() removed them. */
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* Children made by every means while another thread registers and
 * unregisters all the time: each can register (nothing it could inherit
 * locked), removes its own entry at exit, and leaves its parent's. */
static atomic_int churning = 1;

static void *churn(void *path)
{
	while (atomic_load(&churning))
		tfp_exit_unregister(tfp_exit_register(path, -1));
	return NULL;
}

static int fork_child(void *arg)
{
	enum { ROUNDS = 30 };
	char *never;
	pthread_t t;
	int i, status;

	(void)arg;
	REQ(keep(tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 0));
	REQ(asprintf(&never, "%s/never-made", tu_base) >= 0);
	REQ(pthread_create(&t, NULL, churn, never) == 0);
	for (i = 0; i < ROUNDS * N_WAYS; i++) {
		/* Under ThreadSanitizer by fork() only (testutil.h, TU_TSAN). */
		pid_t pid = fork_by(TU_TSAN ? BY_FORK : i % N_WAYS);

		REQ(pid >= 0);
		if (pid == 0) {
			if (!keep(tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 1))
				_exit(2);
			exit(tu_count_entries(tu_base) == 2 ? 0 : 3);
		}
		REQ(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
		REQ(tu_count_entries(tu_base) == 1);
	}
	atomic_store(&churning, 0);
	REQ(pthread_join(t, NULL) == 0);
	free(never);
	exit(0);
}

START_TEST(test_fork_while_registering)
{
	ck_assert_int_eq(tu_run(fork_child, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

#ifdef TF_SHARED_LIBRARY /* only a shared library can be unloaded */
/* ---- dlclose() leaves the library loaded ---- */

static int dlclose_child(void *arg)
{
	int how = *(int *)arg;
	tempfile *(*named)(const char *, const char *, const char *, unsigned);
	const char *(*name_of)(const tempfile *);
	const char *top = getenv("top_builddir");
	char *so, *path;
	void *h;

	REQ(default_signals() == 0);
	REQ(top != NULL && asprintf(&so, "%s/src/.libs/libtempfile.so.0", top) >= 0);
	if (!(h = dlopen(so, RTLD_NOW | RTLD_LOCAL))) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	free(so);
	*(void **)&named = dlsym(h, "tempfile_named");
	*(void **)&name_of = dlsym(h, "tempfile_name");
	REQ(named && name_of);
	REQ(keep(named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 0));
	REQ((path = strdup(name_of(kept[0]))));
	REQ(dlclose(h) == 0);
	/* Still registered: the exit hook has not run. */
	REQ(exists(path));
	free(path);
	if (how)
		raise(SIGTERM);
	exit(0);
}

/* Dies of SIGTERM, not SIGSEGV in a handler that was unmapped, and the
 * exit hook still runs after dlclose(). */
START_TEST(test_dlclose)
{
	int how = _i;

	ck_assert_int_eq(tu_run(dlclose_child, &how, 0), (how ? 100 + SIGTERM : 0));
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST
#endif


/* ---- A busy entry does not hold up the others ---- */

enum { BUSY_SUBDIRS = 1000, BUSY_FILES_EACH = 4, BUSY_OTHERS = 50 };

static int go_fd = -1;
static atomic_int in_usr1;

/* Stops the thread in the middle of its removal until the parent says. */
static void on_usr1(int sig)
{
	char c;

	(void)sig;
	atomic_store(&in_usr1, 1);
	if (read(go_fd, &c, 1) < 0)
		return;
}

static void *cleanup_thread(void *unused)
{
	(void)unused;
	tempfile_cleanup_all();
	return NULL;
}

static int fill(const char *top)
{
	char name[64];
	int i, j, fd;

	for (i = 0; i < BUSY_SUBDIRS; i++) {
		snprintf(name, sizeof name, "%s/d%d", top, i);
		REQ(mkdir(name, 0700) == 0);
		for (j = 0; j < BUSY_FILES_EACH; j++) {
			snprintf(name, sizeof name, "%s/d%d/f%d", top, i, j);
			REQ((fd = open(name, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) >= 0);
			close(fd);
		}
	}
	return 0;
}

/* Another thread is removing a big tree when SIGTERM comes; it stops half
 * way (in a handler of the program's).  The other entries go at once; the
 * tree is waited for, however long, and goes too. */
static int busy_child(int raising)
{
	tempfile_dir *d;
	pthread_t t;
	struct stat st;
	int i;

	REQ(default_signals() == 0);
	REQ(signal(SIGUSR1, on_usr1) != SIG_ERR);
	REQ((d = keep(tempfile_dir_new(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT), 0)));
	REQ(fill(tempfile_dir_name(d)) == 0);
	for (i = 0; i < BUSY_OTHERS; i++)
		REQ(tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT));
	REQ(pthread_create(&t, NULL, cleanup_thread, NULL) == 0);
	do
		REQ(stat(tempfile_dir_name(d), &st) == 0);
	while (st.st_nlink == 2 + BUSY_SUBDIRS);
	REQ(pthread_kill(t, SIGUSR1) == 0);
	while (!atomic_load(&in_usr1))
		sched_yield();
	REQ(write(raising, "x", 1) == 1);
	raise(SIGTERM);
	return 1;
}

START_TEST(test_busy_entry_waited_for_last)
{
	int go[2], raising[2], status, left_early, i;
	char c;
	pid_t pid;

	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(raising), 0);
	fflush(NULL);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		go_fd = go[0];
		_exit(busy_child(raising[1]));
	}
	close(raising[1]);
	close(go[0]);
	ck_assert_int_eq(read(raising[0], &c, 1), 1);
	/* Soon only the tree, still being removed, is left; sooner than a
	 * handler that waited for it first would let the others go. */
	for (i = 0; i < 150 && (left_early = tu_count_entries(tu_base)) > 1; i++)
		usleep(10000);
	signal(SIGPIPE, SIG_IGN);
	ck_assert_int_eq(write(go[1], "x", 1), 1);
	close(go[1]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	ck_assert_int_eq(left_early, 1);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
	close(raising[0]);
}
END_TEST

static void *close_dir(void *d)
{
	return (void *)(intptr_t)tempfile_dir_close(d);
}

static void *release_later(void *fd)
{
	const struct timespec pause = { 0, 200 * 1000 * 1000 };

	nanosleep(&pause, NULL);
	return (void *)(intptr_t)write(*(int *)fd, "x", 1);
}

/* While another thread's tempfile_cleanup_all() is half way through a
 * tree, a close of that tree waits for it and reports it removed, and a
 * second tempfile_cleanup_all() removes the rest and waits for it too. */
static int busy_removal_child(void *unused)
{
	pthread_t sweeper, closer, releaser;
	int go[2], file_gone;
	tempfile_dir *d;
	tempfile *tf;
	struct stat st;
	void *r;

	(void)unused;
	REQ(pipe(go) == 0);
	go_fd = go[0];
	REQ(signal(SIGUSR1, on_usr1) != SIG_ERR);
	REQ((d = tempfile_dir_new(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT)));
	REQ(fill(tempfile_dir_name(d)) == 0);
	REQ((tf = tempfile_named(NULL, NULL, NULL, TEMPFILE_CLEANUP_AT_EXIT)));
	REQ(pthread_create(&sweeper, NULL, cleanup_thread, NULL) == 0);
	do
		REQ(stat(tempfile_dir_name(d), &st) == 0);
	while (st.st_nlink == 2 + BUSY_SUBDIRS);
	REQ(pthread_kill(sweeper, SIGUSR1) == 0);
	while (!atomic_load(&in_usr1))
		sched_yield();
	REQ(pthread_create(&closer, NULL, close_dir, d) == 0);
	REQ(pthread_create(&releaser, NULL, release_later, &go[1]) == 0);
	tempfile_cleanup_all();
	file_gone = access(tempfile_name(tf), F_OK) < 0;
	REQ(pthread_join(closer, &r) == 0 && r == NULL);
	REQ(pthread_join(releaser, &r) == 0 && (intptr_t)r == 1);
	REQ(pthread_join(sweeper, NULL) == 0);
	REQ(file_gone);
	REQ(tu_count_entries(tu_base) == 0);
	REQ(tempfile_close(tf) == 0);
	return 0;
}

START_TEST(test_close_waits_for_busy_removal)
{
	ck_assert_int_eq(tu_run(busy_removal_child, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

/* ---- Registration costs the same however many are pending ---- */

/* What keeps it so: a registration takes the slot freed last, straight off
 * a free list, with no search of the ones pending; a fresh slot comes from
 * chunks that double, never moved.  The time itself is a benchmark's
 * figure (bench/bench_register.c, make bench), not a test's. */
enum { REUSE_FEW = 1000, REUSE_MANY = 100000, REUSE_MORE = 1000 };
#define REUSE_ALL (REUSE_MANY + REUSE_MORE)

static int by_address(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t) * (void *const *)a, y = (uintptr_t) * (void *const *)b;

	return (x > y) - (x < y);
}

/* In a process that has registered nothing yet. */
static int reuse_child(void *unused)
{
	struct tfp_exit_slot **slots = calloc(REUSE_ALL, sizeof *slots), *s;
	static const size_t at[] = { 0, REUSE_FEW, REUSE_MANY / 2, REUSE_ALL - 1 };
	char *path;
	size_t i;

	(void)unused;
	REQ(slots && asprintf(&path, "%s/never-made", tu_base) >= 0);
	for (i = 0; i < REUSE_ALL; i++)
		REQ((slots[i] = tfp_exit_register(path, -1)) != NULL);
	/* With all of them pending, a freed slot is the next one given,
	 * wherever it is; of two freed, the later one first (a search for
	 * the first free slot would give the lower). */
	for (i = 0; i < sizeof at / sizeof *at; i++) {
		REQ(tfp_exit_unregister(slots[at[i]]) == 0);
		REQ(tfp_exit_register(path, -1) == slots[at[i]]);
	}
	REQ(tfp_exit_unregister(slots[REUSE_FEW]) == 0);
	REQ(tfp_exit_unregister(slots[REUSE_MANY]) == 0);
	REQ(tfp_exit_register(path, -1) == slots[REUSE_MANY]);
	REQ(tfp_exit_register(path, -1) == slots[REUSE_FEW]);
	/* All freed and as many registered again: every one is an old slot,
	 * nothing new is allocated. */
	for (i = 0; i < REUSE_ALL; i++)
		REQ(tfp_exit_unregister(slots[i]) == 0);
	qsort(slots, REUSE_ALL, sizeof *slots, by_address);
	for (i = 0; i < REUSE_ALL; i++) {
		REQ((s = tfp_exit_register(path, -1)) != NULL);
		REQ(bsearch(&s, slots, REUSE_ALL, sizeof *slots, by_address) != NULL);
	}
	for (i = 0; i < REUSE_ALL; i++)
		REQ(tfp_exit_unregister(slots[i]) == 0);
	free(slots);
	free(path);
	return 0;
}

START_TEST(test_registration_reuses_slots)
{
	ck_assert_int_eq(tu_run(reuse_child, NULL, 0), 0);
	ck_assert_int_eq(tu_count_entries(tu_base), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("atexit");
	TCase *sig = tu_tcase("signals", 60);
	TCase *own = tu_tcase("ownership", 30);
	TCase *reg = tu_tcase("registry", 60);

	tcase_add_loop_test(sig, test_every_fatal_signal, 0, (int)tu_n_fatal);
	tcase_add_loop_test(sig, test_sigterm_storm, 0, N_KINDS);
	tcase_add_test(sig, test_busy_entry_waited_for_last);
	tcase_add_test(sig, test_close_waits_for_busy_removal);
	tcase_add_loop_test(sig, test_handler_reraises, 0, (int)tu_n_fatal);
	tcase_add_loop_test(sig, test_sigterm_other_thread, 0, N_OPS);
	tcase_add_loop_test(sig, test_cleanup_right_after_rename, 0, OP_FIRST_USE);
	tcase_add_test(sig, test_failed_rename_still_cleaned);
	suite_add_tcase(s, sig);
	tcase_add_loop_test(own, test_same_pid_other_namespace, 0, N_WAYS);
	tcase_add_test(own, test_fork_while_registering);
#ifdef TF_SHARED_LIBRARY
	/* Only a shared library can be unloaded (musl's leg builds static). */
	tcase_add_loop_test(own, test_dlclose, 0, 2);
#endif
	suite_add_tcase(s, own);
	tcase_add_test(reg, test_registration_reuses_slots);
	suite_add_tcase(s, reg);
	return tu_main(s);
}
