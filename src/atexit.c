/* The exit registry behind TEMPFILE_CLEANUP_AT_EXIT, and
 * tempfile_cleanup_all().
 *
 * tempfile_cleanup_all() runs in signal handlers, so it takes no lock and
 * allocates nothing.  The registry is a list of chunks of slots: a chunk is
 * allocated by a registration that finds no free slot, pushed onto the list
 * with a compare-and-swap, and never freed, so a handler can walk the list
 * at any moment.  (No mutex either: a child forked while another thread
 * held one could never register again.  Two threads that race to grow the
 * list just add two chunks.)  Each slot's state is an atomic that the
 * handler claims with a compare-and-swap before it touches the entry.
 *
 * An entry belongs to the process that registered it: a child forked later
 * inherits the registry but not the entries, so its exit() leaves its
 * parent's files alone.
 *
 * What no library can cover: SIGKILL; crashes (SIGSEGV, SIGABRT and the
 * like are left to the program: cleaning up from a corrupted process could
 * do harm); _exit(), _Exit() and a process replaced by exec, which run no
 * atexit handler; a handled signal whose handler the program installs after
 * the first registration, replacing ours (it should call
 * tempfile_cleanup_all() itself); and unloading the library with dlclose()
 * while entries are live.
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	SLOT_FREE,    /* available (calloc()'s zero) */
	SLOT_CLAIMED, /* taken by a registration still filling it in */
	SLOT_FILE,    /* live: unlink(path) */
	SLOT_DIR,     /* live: remove the tree open as dirfd at path */
	SLOT_BUSY,    /* being removed by tempfile_cleanup_all() */
	SLOT_REMOVED  /* removed by tempfile_cleanup_all(); still registered */
};

struct tfp_exit_slot {
	_Atomic int state;
	/* Written before state becomes SLOT_FILE or SLOT_DIR, then constant. */
	pid_t pid;
	int dirfd;
	struct tfp_dir_id id; /* what dirfd was open on at registration */
	const char *path;
};

#define CHUNK_SLOTS 64

struct chunk {
	struct chunk *next; /* set before the chunk is pushed, then constant */
	struct tfp_exit_slot slot[CHUNK_SLOTS];
};

static struct chunk *_Atomic chunks;
static pthread_once_t install_once = PTHREAD_ONCE_INIT;
static int install_failed;

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE };
#define N_FATAL (sizeof fatal_signals / sizeof *fatal_signals)

/* Another thread is removing s (this one cannot be: it blocks the fatal
 * signals while it does).  Wait, so that the process does not die of the
 * re-raised signal with the tree half gone; but only so long, in case a
 * handler of the program's own interrupted this very thread. */
static void wait_while_busy(struct tfp_exit_slot *s)
{
	struct timespec start, now;

	if (clock_gettime(CLOCK_MONOTONIC, &start) < 0)
		return;
	while (atomic_load(&s->state) == SLOT_BUSY) {
		sched_yield();
		if (clock_gettime(CLOCK_MONOTONIC, &now) < 0 || now.tv_sec - start.tv_sec > 2)
			return;
	}
}

static void remove_slot(struct tfp_exit_slot *s, pid_t self)
{
	int state = atomic_load(&s->state);

	if (state == SLOT_BUSY && s->pid == self)
		wait_while_busy(s);
	if ((state != SLOT_FILE && state != SLOT_DIR) || s->pid != self)
		return;
	/* Another thread's handler got there first. */
	if (!atomic_compare_exchange_strong(&s->state, &state, SLOT_BUSY))
		return;
	if (state == SLOT_DIR)
		tfp_rmtree(s->dirfd, s->path, &s->id);
	else
		unlink(s->path);
	atomic_store(&s->state, SLOT_REMOVED);
}

void tfp_block_fatal_signals(sigset_t *old)
{
	sigset_t set;
	size_t i;

	sigemptyset(&set);
	for (i = 0; i < N_FATAL; i++)
		sigaddset(&set, fatal_signals[i]);
	pthread_sigmask(SIG_BLOCK, &set, old);
}

void tfp_restore_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

void tempfile_cleanup_all(void)
{
	pid_t self = getpid();
	int saved = errno;
	struct chunk *c;
	sigset_t old;
	size_t i;

	/* A fatal signal now would find the entry in hand busy, skip it and
	 * end the process with it half removed: let it wait until the end. */
	tfp_block_fatal_signals(&old);
	for (c = atomic_load(&chunks); c; c = c->next)
		for (i = 0; i < CHUNK_SLOTS; i++)
			remove_slot(&c->slot[i], self);
	tfp_restore_signals(&old);
	errno = saved;
}

int tfp_exit_removed(const struct tfp_exit_slot *s)
{
	return s && atomic_load(&s->state) == SLOT_REMOVED;
}

static void cleanup_at_exit(void)
{
	tempfile_cleanup_all();
}

/* The process still dies of sig, as it would have without us: its parent
 * sees WIFSIGNALED.  sig stays blocked until the handler returns, so the
 * raised one is delivered then, to the default action. */
static void on_fatal_signal(int sig)
{
	int saved = errno;

	tempfile_cleanup_all();
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

/* A program that handles or ignores sig keeps its choice, and calls
 * tempfile_cleanup_all() itself.  (A handler it installs between the check
 * and ours is lost: nothing can make that atomic.) */
static void handle_if_default(int sig, const struct sigaction *sa)
{
	struct sigaction old;

	if (sigaction(sig, NULL, &old) == 0 && !(old.sa_flags & SA_SIGINFO) &&
	    old.sa_handler == SIG_DFL)
		sigaction(sig, sa, NULL);
}

static void install(void)
{
	struct sigaction sa;
	size_t i;

	if (atexit(cleanup_at_exit) != 0) {
		install_failed = 1;
		return;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	/* One cleanup at a time: the others wait for the first to finish. */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < N_FATAL; i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (i = 0; i < N_FATAL; i++)
		handle_if_default(fatal_signals[i], &sa);
}

static struct tfp_exit_slot *claim_free(struct chunk *c)
{
	size_t i;

	for (; c; c = c->next)
		for (i = 0; i < CHUNK_SLOTS; i++) {
			int want = SLOT_FREE;

			if (atomic_compare_exchange_strong(&c->slot[i].state, &want, SLOT_CLAIMED))
				return &c->slot[i];
		}
	return NULL;
}

static struct tfp_exit_slot *claim_slot(void)
{
	struct tfp_exit_slot *s = claim_free(atomic_load(&chunks));
	struct chunk *c;

	if (s)
		return s;
	if (!(c = calloc(1, sizeof *c))) {
		errno = ENOMEM;
		return NULL;
	}
	s = &c->slot[0];
	atomic_store(&s->state, SLOT_CLAIMED);
	c->next = atomic_load(&chunks);
	while (!atomic_compare_exchange_weak(&chunks, &c->next, c))
		;
	return s;
}

struct tfp_exit_slot *tfp_exit_register(const char *path, int dirfd)
{
	struct tfp_exit_slot *s;
	int e;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	if ((e = pthread_once(&install_once, install)) != 0) {
		errno = e;
		return NULL;
	}
	if (install_failed) {
		errno = ENOMEM;
		return NULL;
	}
	if (!(s = claim_slot()))
		return NULL;
	if (dirfd >= 0 && tfp_dir_id_of(dirfd, &s->id) < 0) {
		atomic_store(&s->state, SLOT_FREE);
		return NULL;
	}
	s->pid = getpid();
	s->dirfd = dirfd;
	s->path = path;
	atomic_store(&s->state, dirfd < 0 ? SLOT_FILE : SLOT_DIR);
	return s;
}

int tfp_exit_unregister(struct tfp_exit_slot *s)
{
	int state;

	if (!s)
		return 0;
	for (;;) {
		state = atomic_load(&s->state);
		/* Another thread of this process is removing the entry and
		 * will be done soon; in a forked child, nobody ever will. */
		if (state == SLOT_BUSY && s->pid == getpid()) {
			sched_yield();
			continue;
		}
		if (atomic_compare_exchange_weak(&s->state, &state, SLOT_FREE))
			return state == SLOT_REMOVED;
	}
}
