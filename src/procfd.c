/*
 * "/proc/thread-self/fd/N": the magic link that names the very file a
 * descriptor of the calling thread holds.  /proc/self/fd is the thread
 * group leader's table, which is another one in a thread that did
 * unshare(CLONE_FILES) (or was made by clone() without CLONE_FILES): there
 * the same number may hold another file, or none.  /proc/self/fd is used
 * only where /proc/thread-self does not exist (Linux before 3.17), never as
 * a second try after a failure through thread-self: that could act on the
 * wrong file.
 */
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

/* 1 once /proc/thread-self was seen; not remembered while it is missing,
 * since /proc may be mounted later (a chroot, a new mount namespace).
 * Atomic: threads and signal handlers ask at once (lock-free, relaxed: a
 * thread that reads 0 only asks the kernel again). */
static atomic_int have_thread_self;

/* By hand: snprintf() is not async-signal-safe, and the cleanup that runs
 * in signal handlers (rmtree.c through dirfd.c) builds these paths. */
void tfp_proc_fd_path(char buf[TFP_PROC_FD_PATH_SIZE], int fd)
{
	static const char thread[] = "/proc/thread-self/fd/", self[] = "/proc/self/fd/";
	char digits[3 * sizeof fd];
	unsigned v = (unsigned)fd;
	size_t n = 0;

	if (!atomic_load_explicit(&have_thread_self, memory_order_relaxed)) {
		int saved = errno;

		atomic_store_explicit(&have_thread_self, access("/proc/thread-self", F_OK) == 0,
		                      memory_order_relaxed);
		errno = saved;
	}
	if (atomic_load_explicit(&have_thread_self, memory_order_relaxed)) {
		memcpy(buf, thread, sizeof thread - 1);
		buf += sizeof thread - 1;
	} else {
		memcpy(buf, self, sizeof self - 1);
		buf += sizeof self - 1;
	}
	do
		digits[n++] = (char)('0' + v % 10);
	while (v /= 10);
	while (n)
		*buf++ = digits[--n];
	*buf = '\0';
}
