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
	const char *name;  /* short, for the command line: [a-z_] */
	const char *label; /* for the table */
	/* The function whose instructions are counted under callgrind
	 * (run.sh: --toggle-collect), one call an operation. */
	const char *fn;
	/* Untimed work before and after a batch of n (names made ready,
	 * entries removed); NULL for none.  0, or -1 with errno. */
	int (*prep)(long n);
	/* Does the operation n times (n at most the max_batch given to
	 * bench_main()); 0, or -1 with errno. */
	int (*run)(long n);
	int (*done)(long n);
};

/*
 * Arguments: [-q] [CASE N].
 * Without CASE: sizes a batch on cases[0], then times BENCH_ROUNDS rounds;
 * a round times one batch of each case, the order rotating from round to
 * round so that none always goes first, and each case's per-round ratio to
 * cases[0] is kept.  Prints the median ratio with its min and max, and the
 * median ns per operation (unit names it).  -q: a quick smoke run (tiny
 * batches, three rounds), for CI.
 * With CASE N: runs only CASE, N operations, untimed, so that bench/run.sh
 * can count what one costs under strace or callgrind.
 * Returns the exit status for main().
 */
int bench_main(int argc, char **argv, const char *title, const char *unit,
               const struct bench_case *cases, size_t ncases, long max_batch);

#endif /* BENCH_H */
