/*
 * Shared helpers for the stress programs (tests/stress/, run by .ci/stress,
 * never by make check).  Each program prints what it did as figures and
 * exits non-zero on any failure; they use the public API only.
 */
#ifndef STRESS_H
#define STRESS_H

#include <stddef.h>
#include <sys/types.h>

/* Reports a failure (printed for the first few) and counts it. */
void st_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Failures so far, in this process. */
long st_failures(void);

/* Raises the soft RLIMIT_NOFILE to the hard limit; returns the new limit. */
long st_raise_nofile(void);

/* Seconds on the monotonic clock. */
double st_now(void);

/* An integer from the environment, or def where unset (counts can be
 * lowered for a quick try: the CI script uses the defaults). */
long st_env_long(const char *name, long def);

/* A growing list of names (strings it owns). */
struct st_names {
	char **v;
	size_t n, cap;
};
void st_names_add(struct st_names *l, const char *s);
/* Appends all of src to l and empties src. */
void st_names_move(struct st_names *l, struct st_names *src);
void st_names_free(struct st_names *l);
void st_names_sort(struct st_names *l);
/* Sorts l and returns how many of its entries equal their predecessor,
 * printing the first few. */
size_t st_names_dups(struct st_names *l, const char *what);
/* The entries of dir besides . and .. (cleared first); -1 on error. */
long st_list_dir(const char *dir, struct st_names *out);
/* Entries of dir besides . and .., or -1. */
long st_count_dir(const char *dir);

/* Writes all of buf (retrying short writes); 0 or -1. */
int st_write_all(int fd, const void *buf, size_t n);

/* Waits up to seconds for pid; kills it if it is still running then.
 * Returns its wait status, or -1 if it hung (counted as a failure). */
int st_wait(pid_t pid, double seconds, const char *what);

/* Removes a tree made by a stress program (nftw, depth first). */
int st_rmtree(const char *path);

#endif
