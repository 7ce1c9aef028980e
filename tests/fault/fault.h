/*
 * Fault injection for the library's calls into the C library and the
 * kernel.  The fault driver is linked with -Wl,--wrap=NAME for every such
 * function (FAULT_WRAPS in Makefile.am): each call the objects make goes
 * to __wrap_NAME in wrap.c, which counts it while a window is armed and
 * makes the k-th counted one fail with the chosen errno, without doing
 * anything (close() and fclose() release what they were given first, as
 * the real ones do whatever they return).
 */
#ifndef FAULT_H
#define FAULT_H

#include <stddef.h>

/* The pseudo-errno for a short transfer: the k-th read(), write() or
 * pread() moves half of what it was asked (at least one byte) instead of
 * failing; other calls are not counted under it. */
#define FAULT_SHORT (-1)

/* Arms the window: from now on, counted calls are numbered from 1 and the
 * k-th fails with err (ENOMEM is the only way an allocation fails, so the
 * allocators are counted only under ENOMEM). */
void fault_arm(long k, int err);
/* The same, counting only the calls to the function named (as wrap.c
 * names it: "fstatat64", "dup3"), for a test that means one call. */
void fault_arm_call(const char *name, long k, int err);
/* Closes the window; returns whether the k-th call was reached (and made
 * to fail). */
int fault_disarm(void);
/* Calls counted since fault_arm(). */
long fault_count(void);
/* The name of the function that was made to fail, or NULL. */
const char *fault_hit(void);

/* Counted calls are not counted while paused (the driver's own calls
 * inside the window: a callback the library calls). */
void fault_pause(void);
void fault_resume(void);

/* Allocations made by wrapped allocators since fault_track_start() and
 * not freed since: the leak count where there is no LeakSanitizer. */
void fault_track_start(void);
size_t fault_track_live(void);

#endif
