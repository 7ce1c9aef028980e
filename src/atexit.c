/* The exit registry behind TEMPFILE_CLEANUP_AT_EXIT, and
 * tempfile_cleanup_all().
 *
 * tempfile_cleanup_all() runs in signal handlers, so it takes no lock and
 * allocates nothing.  The registry is an array of slots in chunks that
 * double in size and are never freed, so a handler can walk them at any
 * moment; each slot's state is an atomic that the handler claims with a
 * compare-and-swap before it touches the entry.  Registration takes a slot
 * from a lock-free free list (a Treiber stack whose head carries a
 * generation against ABA), or else the next never-used index: O(1) however
 * many entries are pending.  No mutex anywhere: a child made by fork() or
 * _Fork() while another thread held one could never register again.
 *
 * Creation and registration are one step for a fatal signal: a
 * constructor holds the fatal signals off in its thread, reserves a slot
 * (SLOT_PENDING) before it creates the entry and commits it after.  A
 * handler running in another thread meanwhile removes everything else
 * first, then waits for such slots to settle, and for those that other
 * threads are removing (SLOT_BUSY, SLOT_CLOSING).  It never touches a
 * pending slot's name: until the create succeeds it may be someone
 * else's.  Once our handler has started, a new reservation waits for the
 * process to die instead of creating what nobody would remove.
 *
 * An entry belongs to the process that registered it, as its process token
 * (procid.c) says, not its pid: a child inherits the registry but not the
 * entries, also a child with its parent's pid in another pid namespace.
 *
 * What no library can cover: SIGKILL; crashes (SIGSEGV, SIGABRT and the
 * like are left to the program: cleaning up from a corrupted process could
 * do harm); _exit(), _Exit() and a process replaced by exec, which run no
 * atexit handler; a handled signal whose handler the program installs after
 * the first registration, replacing ours (it should call
 * tempfile_cleanup_all() itself); entries another thread registers after
 * exit() has run the cleanup; and a removal in another thread that takes
 * longer than WAIT_LIMIT.  (dlclose() cannot unload the library: it is
 * linked with -z nodelete where the linker takes it.)
 */
#include "internal.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	SLOT_FREE,    /* on the free list, or never used (calloc()'s zero) */
	SLOT_PENDING, /* reserved: its entry is being created */
	SLOT_FILE,    /* live: unlink(path) */
	SLOT_DIR,     /* live: remove the tree open as dirfd at path */
	SLOT_BUSY,    /* being removed by tempfile_cleanup_all() */
	SLOT_CLOSING, /* being removed by its object's close */
	SLOT_REMOVED  /* removed by tempfile_cleanup_all(); still registered */
};

struct tfp_exit_slot {
	_Atomic int state;
	_Atomic uint64_t owner;     /* token of the process that reserved it */
	_Atomic uint32_t next_free; /* 1 + index of the next free slot; 0: none */
	uint32_t index;             /* its own, set when first handed out */
	/* Written before state becomes SLOT_FILE or SLOT_DIR, then constant. */
	int dirfd;
	struct tfp_dir_id id; /* what dirfd was open on at registration */
	const char *path;
};

/* Chunk k holds FIRST_CHUNK << k slots, indices from FIRST_CHUNK * (2^k - 1):
 * N_CHUNKS of them hold just under 2^32. */
#define FIRST_CHUNK 64
#define N_CHUNKS 26
#define CAPACITY ((uint32_t)(FIRST_CHUNK * ((UINT64_C(1) << N_CHUNKS) - 1)))

/* How long a handler waits for the entries other threads are creating or
 * removing, after it has removed all the others.  (Also how long a handler
 * of the program's waits for itself if it calls tempfile_cleanup_all()
 * after interrupting the library in the same thread, in the middle of a
 * creation or a removal: nothing async-signal-safe tells it apart.) */
#define WAIT_LIMIT 30

static struct tfp_exit_slot *_Atomic chunks[N_CHUNKS];
static _Atomic uint32_t n_used;    /* indices handed out so far */
static _Atomic uint64_t free_head; /* generation << 32 | (1 + index) */
static _Atomic uint64_t dying;     /* token of a process in our handler */
static atomic_int installed;

static const int fatal_signals[] = {
	SIGINT, SIGTERM, SIGHUP, SIGPIPE,
#ifdef SIGXCPU
	SIGXCPU,
#endif
#ifdef SIGXFSZ
	SIGXFSZ,
#endif
};
#define N_FATAL (sizeof fatal_signals / sizeof *fatal_signals)

static unsigned chunk_of(uint32_t i)
{
	uint64_t q = i / FIRST_CHUNK + 1;
	unsigned k = 0;

	while (q >> (k + 1))
		k++;
	return k;
}

static uint32_t chunk_start(unsigned k)
{
	return (uint32_t)(FIRST_CHUNK * ((UINT64_C(1) << k) - 1));
}

/* A slot handed out before: its chunk exists. */
static struct tfp_exit_slot *slot_at(uint32_t i)
{
	unsigned k = chunk_of(i);

	return &atomic_load(&chunks[k])[i - chunk_start(k)];
}

/* Async-signal-safe, unlike usleep(). */
static void pause_briefly(void)
{
	struct timespec ts = { 0, 200 * 1000 };

	nanosleep(&ts, NULL);
}

static int owned(const struct tfp_exit_slot *s, uint64_t me)
{
	return atomic_load_explicit(&s->owner, memory_order_relaxed) == me;
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

/* ---- Removal: tempfile_cleanup_all() and the handlers ---- */

/* One pass over the slots: removes every live entry of this process that
 * nobody has taken yet, and counts those that other threads are creating
 * or removing. */
static size_t sweep(uint64_t me)
{
	size_t waiting = 0, i, n;
	unsigned k;

	for (k = 0; k < N_CHUNKS; k++) {
		struct tfp_exit_slot *c = atomic_load(&chunks[k]);

		for (i = 0, n = c ? (size_t)FIRST_CHUNK << k : 0; i < n; i++) {
			struct tfp_exit_slot *s = &c[i];
			int state = atomic_load(&s->state);

			if (state == SLOT_FREE || state == SLOT_REMOVED || !owned(s, me))
				continue;
			if ((state != SLOT_FILE && state != SLOT_DIR) ||
			    !atomic_compare_exchange_strong(&s->state, &state, SLOT_BUSY)) {
				waiting++;
				continue;
			}
			if (state == SLOT_DIR)
				tfp_rmtree(s->dirfd, s->path, &s->id, NULL);
			else
				unlink(s->path);
			atomic_store(&s->state, SLOT_REMOVED);
		}
	}
	return waiting;
}

void tempfile_cleanup_all(void)
{
	uint64_t me = tfp_process_token_peek();
	struct timespec start, now;
	int saved = errno;
	sigset_t old;

	if (!me) /* this process never registered anything */
		return;
	/* A fatal signal in this thread now would find the entry in hand
	 * busy and wait for itself: let it wait until the end. */
	tfp_block_fatal_signals(&old);
	/* The others' entries last, so that one slow removal or creation
	 * holds up nothing else; then as long as they take, within reason:
	 * the process must not die with a tree half removed. */
	if (sweep(me) && clock_gettime(CLOCK_MONOTONIC, &start) == 0)
		do
			pause_briefly();
		while (sweep(me) && clock_gettime(CLOCK_MONOTONIC, &now) == 0 &&
		       now.tv_sec - start.tv_sec < WAIT_LIMIT);
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
	uint64_t me = tfp_process_token_peek();
	int saved = errno;

	/* Before the sweep: a reservation either sees this or is seen. */
	if (me)
		atomic_store(&dying, me);
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

/* Without pthread_once(), which a child made by _Fork() could inherit in
 * progress.  Two threads that race both install, which does no harm: the
 * second finds our handler, and a second exit hook finds nothing left. */
static int install(void)
{
	struct sigaction sa;
	size_t i;

	if (atomic_load(&installed))
		return 0;
	if (atexit(cleanup_at_exit) != 0) {
		errno = ENOMEM;
		return -1;
	}
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	/* One cleanup at a time in a thread. */
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < N_FATAL; i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (i = 0; i < N_FATAL; i++)
		handle_if_default(fatal_signals[i], &sa);
	atomic_store(&installed, 1);
	return 0;
}

/* ---- Registration ---- */

static struct tfp_exit_slot *pop_free(void)
{
	uint64_t head = atomic_load(&free_head), next;
	struct tfp_exit_slot *s;

	do {
		if (!(uint32_t)head)
			return NULL;
		/* Maybe taken meanwhile (slots are never freed, so this reads
		 * no freed memory): then the generation has moved on. */
		s = slot_at((uint32_t)head - 1);
		next = ((head >> 32) + 1) << 32 | atomic_load(&s->next_free);
	} while (!atomic_compare_exchange_weak(&free_head, &head, next));
	return s;
}

static void push_free(struct tfp_exit_slot *s)
{
	uint64_t head = atomic_load(&free_head), next;

	do {
		atomic_store(&s->next_free, (uint32_t)head);
		next = ((head >> 32) + 1) << 32 | (s->index + 1);
	} while (!atomic_compare_exchange_weak(&free_head, &head, next));
}

/* The next never-used slot, allocating its chunk if it is the first. */
static struct tfp_exit_slot *fresh_slot(void)
{
	uint32_t i = atomic_load(&n_used);
	struct tfp_exit_slot *c, *mine, *none = NULL;
	unsigned k;

	do
		if (i >= CAPACITY) {
			errno = ENOMEM;
			return NULL;
		}
	while (!atomic_compare_exchange_weak(&n_used, &i, i + 1));
	k = chunk_of(i);
	if (!(c = atomic_load(&chunks[k]))) {
		/* Failure loses index i; the next one in the chunk tries again. */
		if (!(mine = calloc((size_t)FIRST_CHUNK << k, sizeof *mine))) {
			errno = ENOMEM;
			return NULL;
		}
		if (atomic_compare_exchange_strong(&chunks[k], &none, mine)) {
			c = mine;
		} else {
			free(mine);
			c = none;
		}
	}
	c[i - chunk_start(k)].index = i;
	return &c[i - chunk_start(k)];
}

/* This process is dying of a fatal signal whose handler has swept already
 * or is sweeping: anything created now would outlive it.  Its death comes
 * when the handler is done. */
static void await_death(void)
{
	struct timespec start, now;

	if (clock_gettime(CLOCK_MONOTONIC, &start) < 0)
		return;
	do
		pause_briefly();
	while (clock_gettime(CLOCK_MONOTONIC, &now) == 0 &&
	       now.tv_sec - start.tv_sec <= WAIT_LIMIT + 1);
}

/* wait: once our handler has started, wait for death rather than fail. */
static struct tfp_exit_slot *reserve(int wait)
{
	struct tfp_exit_slot *s;
	uint64_t me;

	if (install() < 0 || !(me = tfp_process_token()))
		return NULL;
	if (!(s = pop_free()) && !(s = fresh_slot()))
		return NULL;
	atomic_store_explicit(&s->owner, me, memory_order_relaxed);
	s->dirfd = -1;
	s->path = NULL;
	/* Sequentially consistent, like the handler's store to dying and its
	 * loads of the states: one of the two sees the other. */
	atomic_store(&s->state, SLOT_PENDING);
	if (atomic_load(&dying) == me) {
		atomic_store(&s->state, SLOT_FREE);
		push_free(s);
		if (wait)
			await_death();
		errno = EINTR;
		return NULL;
	}
	return s;
}

struct tfp_exit_slot *tfp_exit_reserve(void)
{
	return reserve(1);
}

/* Waiting for death here would hold the handler up for WAIT_LIMIT, since
 * it waits for the caller's own outer reservation in turn. */
struct tfp_exit_slot *tfp_exit_reserve_nested(void)
{
	return reserve(0);
}

void tfp_exit_commit(struct tfp_exit_slot *s, const char *path, int dirfd)
{
	if (!s)
		return;
	s->path = path;
	s->dirfd = dirfd;
	/* What the handler may remove: this directory and nothing else.  An
	 * identity that cannot be read matches no directory, so the handler
	 * then leaves the tree rather than risk another. */
	if (dirfd >= 0 && tfp_dir_id_of(dirfd, &s->id) < 0)
		memset(&s->id, 0, sizeof s->id);
	atomic_store(&s->state, dirfd < 0 ? SLOT_FILE : SLOT_DIR);
}

struct tfp_exit_slot *tfp_exit_register(const char *path, int dirfd)
{
	struct tfp_exit_slot *s;
	sigset_t old;

	if (!path) {
		errno = EINVAL;
		return NULL;
	}
	/* A fatal signal between the two would wait for this very thread. */
	tfp_block_fatal_signals(&old);
	s = tfp_exit_reserve();
	tfp_exit_commit(s, path, dirfd);
	tfp_restore_signals(&old);
	return s;
}

/* s's state once no handler of this process is removing it.  A handler in
 * a forked child's parent never will, for the child. */
static int settled_state(struct tfp_exit_slot *s)
{
	uint64_t me = tfp_process_token_peek();
	int state, saved = errno;

	while ((state = atomic_load(&s->state)) == SLOT_BUSY && owned(s, me))
		pause_briefly();
	errno = saved;
	return state;
}

int tfp_exit_claim(struct tfp_exit_slot *s)
{
	int state;

	if (!s)
		return 0;
	do {
		state = settled_state(s);
		if (state != SLOT_FILE && state != SLOT_DIR)
			return state == SLOT_REMOVED;
	} while (!atomic_compare_exchange_weak(&s->state, &state, SLOT_CLOSING));
	return 0;
}

void tfp_exit_unclaim(struct tfp_exit_slot *s)
{
	int closing = SLOT_CLOSING;

	if (s)
		atomic_compare_exchange_strong(&s->state, &closing,
		                               s->dirfd < 0 ? SLOT_FILE : SLOT_DIR);
}

int tfp_exit_unregister(struct tfp_exit_slot *s)
{
	int state;

	if (!s)
		return 0;
	do
		state = settled_state(s);
	while (!atomic_compare_exchange_weak(&s->state, &state, SLOT_FREE));
	push_free(s);
	return state == SLOT_REMOVED;
}
