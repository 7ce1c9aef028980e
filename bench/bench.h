/*
 * A tiny harness for side-by-side benchmarks.  Speed is never asserted in a
 * test: a benchmark times several ways of doing one thing in the same
 * process, round by round, and reports each as a ratio to the first (the
 * floor), so that a slow or loaded machine moves every row together and the
 * ratios stay meaningful.  Absolute times are printed as context only.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>

struct bench_case {
	const char *name;  /* short, for the command line: [a-z_0-9] */
	const char *label; /* for the table */
	/* The function whose instructions are counted under callgrind
	 * (bench/instructions.sh: --toggle-collect), one call an operation;
	 * NULL where the work is another process's (rm, python3). */
	const char *fn;
	/* Untimed work before and after a batch of n (names made ready,
	 * entries removed); NULL for none.  0, or -1 with errno. */
	int (*prep)(long n);
	/* Does the operation n times (n at most the table's max_batch);
	 * 0, or -1 with errno.  NULL: a row that cannot run here (GLib or
	 * python3 absent, ...), its label saying why. */
	int (*run)(long n);
	int (*done)(long n);
};

struct bench_table {
	const char *title;
	const char *unit;
	const struct bench_case *cases;
	size_t ncases;
	long max_batch;
	int rounds;     /* 0: the default (15, or $BENCH_ROUNDS) */
	/* Operations bench/syscalls.sh and bench/instructions.sh count: 0 is
	 * 1000; -1 none; below -1, -count and under callgrind only (what
	 * strace would take minutes to set up: a registry of 100,000). */
	long count;
	/* Untimed, before the table is timed or one of its cases is
	 * counted (grows a registry, ...); NULL for none. */
	int (*before)(void);
	/* Called after the table is printed, for lines derived from it;
	 * NULL for none. */
	void (*after)(const struct bench_table *tb);
	/* Filled by the run: each case's median ratio and ns per op
	 * (0 for a row that did not run), for lines derived from them. */
	double ratio[12];
	double ns[12];
};

/* Time a prep function may set, in ns, that is subtracted from the batch it
 * prepares (the cost of spawning a process, measured on an empty job);
 * reset to 0 before each prep. */
extern double bench_discount_ns;

/* Nonzero in a quick smoke run (-q): programs shrink their work too. */
extern int bench_quick;

/*
 * Arguments: [-q] [CASE N | -h].
 * Without CASE: times each table in turn.  In a table, sizes a batch on
 * cases[0], then times its rounds; a round times one batch of each case,
 * the order rotating from round to round so that none always goes first,
 * and each case's per-round ratio to cases[0] is kept.  Prints the median
 * ratio with its min and max, and the median ns per operation (unit names
 * it).  -q: a quick smoke run (tiny batches, three rounds), for CI.
 * With CASE N: runs only CASE, N operations, untimed, each batch between
 * two marker calls (access("/bench:start"), access("/bench:stop")) so that
 * bench/syscalls.sh counts under strace what the operations cost and
 * nothing else.  -h: lists "case NAME FUNCTION STRACE_N CALLGRIND_N", one
 * case a line.
 * Returns the exit status for main().
 */
int bench_tables(int argc, char **argv, struct bench_table *tables, size_t ntables);

/* One table: bench_tables() with a table of the default rounds and count. */
int bench_main(int argc, char **argv, const char *title, const char *unit,
               const struct bench_case *cases, size_t ncases, long max_batch);

/* Parses -q out of argv, setting bench_quick, for programs that size their
 * work before bench_tables(). */
void bench_parse_quick(int *argc, char **argv);

/* Parses a leading "-d DIR" out of the arguments (then -q): DIR, or NULL
 * where there is none. */
const char *bench_parse_dir(int *argc, char ***argv);

#endif /* BENCH_H */
