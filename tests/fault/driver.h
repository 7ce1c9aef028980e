/* What the fault driver's operations (ops_*.c) share with its runner. */
#ifndef FAULT_DRIVER_H
#define FAULT_DRIVER_H

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "fault.h"

/* Defects one run can show (bits of the child's exit status). */
enum {
	D_SILENT = 1,   /* a result against the contract: a failure without
	                 * errno, a success that did not do its job, a spool's
	                 * contents lost */
	D_FD = 2,       /* a descriptor left open */
	D_MEM = 4,      /* memory left allocated */
	D_LEFTOVER = 8, /* an entry left behind by a failed operation */
	D_REACHED = 16  /* not a defect: the k-th call was reached */
};

/* One run: the operation's private directories and what is injected. */
struct fx {
	char *dir;      /* empty when the operation starts, and must be after */
	char *other;    /* the same on another file system (NULL if none) */
	int dirfd;      /* open on dir */
	long k;
	int err;
	int defects;
	int saved_errno;
	int reached;
	const char *hit;
	int expect;     /* an errno the operation must fail with anyway */
	int may_leave;  /* a failure that says it left an entry (in place,
	                 * but a later step failed) */
	char snap[2][4096]; /* the entries of dir and other at fx_snap() */
};

/* The window around the operation under test.  errno is 0 inside, and
 * after FX_DISARM it is what the operation left. */
#define TFP_UNUSED_ARG(v) ((void)(v))
#define FX_ARM(x) do { errno = 0; fault_arm((x)->k, (x)->err); } while (0)
#define FX_DISARM(x) do { \
	(x)->saved_errno = errno; \
	(x)->reached = fault_disarm(); \
	(x)->hit = fault_hit(); \
	errno = (x)->saved_errno; \
} while (0)

/* Records a defect, saying where and why. */
#define FX_BAD(x, bit, ...) fx_bad((x), (bit), __FILE__, __LINE__, __VA_ARGS__)
void fx_bad(struct fx *x, int bit, const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* A check of the result: a silent failure where cond is false. */
#define FX_CHECK(x, cond) do { \
	if (!(cond)) \
		FX_BAD((x), D_SILENT, "%s", #cond); \
} while (0)

/* The operation reported failure: errno must say why. */
void fx_failed(struct fx *x);

/* Remembers the entries of dir and other, and checks later that they are
 * the same again (D_LEFTOVER, unless a removal was what failed). */
void fx_snap(struct fx *x);
void fx_same(struct fx *x);

/* Removes everything in dir and other. */
void fx_clear(struct fx *x);

/* Joins dir and name (malloc()ed, never NULL). */
char *fx_path(const char *dir, const char *name);
/* Writes s to path (created or replaced); and whether path holds s. */
void fx_put(const char *path, const char *s);
int fx_holds(const char *path, const char *s);
/* Whether path names anything (not followed). */
int fx_exists(const char *path);
/* Whether fd is open, close-on-exec and above 2. */
int fx_fd_ok(int fd);

/* The kinds of file object, and one made without faults holding
 * start_data (START_LEN bytes), at its end; a spool's max_size is MAX. */
enum { NAMED, UNNAMED, PLAIN_UNNAMED, SPOOL, ROLLED };
extern const char start_data[];
#define START_LEN 10
#define MAX 64
struct tempfile;
struct tempfile *fx_object(struct fx *x, int kind, unsigned flags);
/* Whether tf holds the n bytes at want and is at position pos. */
int fx_object_holds(struct tempfile *tf, const char *want, size_t n, off_t pos);
#define HOLDS_START(x, tf) FX_CHECK(x, fx_object_holds(tf, start_data, START_LEN, START_LEN))

/* An operation: runs one case with x's fault, checks what the contract
 * says and undoes what it made.  v selects a variant. */
struct op {
	const char *name;
	void (*fn)(struct fx *x, int v);
	int v;
	int retains;  /* may keep memory reachable from the library's state */
};

/* The tables of ops_*.c, each ended by a NULL name. */
extern const struct op ops_create[], ops_io[], ops_persist[], ops_dir[], ops_misc[];

#endif
