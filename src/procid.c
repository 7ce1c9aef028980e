/* Who this process is: a token that no other process shares.
 *
 * The pid is no such thing: a child in a new pid namespace has pid 1 like
 * its parent may, and a pthread_atfork() hook sees fork() only, not
 * _Fork(), clone() or syscall(SYS_fork).  So the token lives in a page the
 * kernel wipes in every child that does not share our memory
 * (MADV_WIPEONFORK, Linux 4.14): a child finds it zero, however it was
 * made, and draws a token of its own on first use.  A vfork() child shares
 * the page, and our memory, so it is rightly the same process here.
 *
 * Where the kernel has no MADV_WIPEONFORK, the token carries the pid it was
 * drawn in, and a pthread_atfork() hook clears it: that misses only a child
 * with its parent's pid made without fork() (README, "Portability").
 *
 * Async-signal-safe once tfp_process_token() has returned a token in this
 * process: the exit handlers only compare. */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <unistd.h>

#define TOKEN_PID_MASK UINT64_C(0xffffffff)

_Atomic uint64_t *_Atomic tfp_token_cell; /* in the wipe-on-fork page */
static _Atomic uint64_t fallback;        /* random << 32 | pid */
static atomic_int no_page;               /* set up without one: fallback */
static atomic_flag atfork_once = ATOMIC_FLAG_INIT;

void (*tfp_procid_init_hook)(void);

static void forked_child(void)
{
	atomic_store_explicit(&fallback, 0, memory_order_relaxed);
}

/* Without pthread_once(): a child made by _Fork(), clone() or
 * syscall(SYS_fork) while another thread was in here would wait for that
 * thread forever.  Threads that race here each map a page; the first to
 * publish its own wins, the others unmap theirs. */
static void init(void)
{
	long page = sysconf(_SC_PAGESIZE);
	size_t size = page > 0 ? (size_t)page : 4096;
	void *p;

	if (tfp_procid_init_hook)
		tfp_procid_init_hook();
	p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p != MAP_FAILED) {
#ifdef MADV_WIPEONFORK
		if (madvise(p, size, MADV_WIPEONFORK) == 0) {
			_Atomic uint64_t *none = NULL;

			if (!atomic_compare_exchange_strong_explicit(&tfp_token_cell, &none, p,
			        memory_order_acq_rel, memory_order_acquire))
				munmap(p, size);
			return;
		}
#endif
		munmap(p, size);
	}
	if (!atomic_flag_test_and_set(&atfork_once))
		pthread_atfork(NULL, NULL, forked_child);
	atomic_store_explicit(&no_page, 1, memory_order_release);
}

/* A nonzero token into *cell, unless another thread stored one first. */
static uint64_t draw(_Atomic uint64_t *cell, uint64_t low, uint64_t mask)
{
	uint64_t want = 0, t;

	do {
		if (tfp_random_bytes(&t, sizeof t) < 0)
			return 0;
		t = (t & ~mask) | low;
	} while (t == 0);
	if (atomic_compare_exchange_strong(cell, &want, t))
		return t;
	return want; /* the other thread's */
}

uint64_t tfp_process_token(void)
{
	_Atomic uint64_t *cell = atomic_load_explicit(&tfp_token_cell, memory_order_acquire);
	uint64_t t, pid;

	if (!cell && !atomic_load_explicit(&no_page, memory_order_acquire)) {
		init();
		cell = atomic_load_explicit(&tfp_token_cell, memory_order_acquire);
	}
	if (cell) {
		t = atomic_load_explicit(cell, memory_order_relaxed);
		return t ? t : draw(cell, 0, 0);
	}
	pid = (uint64_t)getpid() & TOKEN_PID_MASK;
	t = atomic_load_explicit(&fallback, memory_order_relaxed);
	if (t && (t & TOKEN_PID_MASK) == pid)
		return t;
	/* A child that kept its parent's token: replace it. */
	if (t)
		atomic_compare_exchange_strong(&fallback, &t, 0);
	return draw(&fallback, pid, TOKEN_PID_MASK);
}

uint64_t tfp_process_token_peek(void)
{
	_Atomic uint64_t *cell = atomic_load_explicit(&tfp_token_cell, memory_order_acquire);
	uint64_t t;

	if (cell)
		return atomic_load_explicit(cell, memory_order_relaxed);
	t = atomic_load_explicit(&fallback, memory_order_relaxed);
	if (t && (t & TOKEN_PID_MASK) == ((uint64_t)getpid() & TOKEN_PID_MASK))
		return t;
	return 0;
}
