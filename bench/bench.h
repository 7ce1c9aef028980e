/*
 * A tiny harness for side-by-side benchmarks.  Speed is never asserted in a
 * test: a benchmark times several ways of doing one thing in the same run,
 * interleaved, and reports each as a ratio to the first, so that a slow or
 * noisy machine moves every row together and the ratios stay meaningful.
 */
#ifndef BENCH_H
#define BENCH_H

#include <stddef.h>

struct bench_case {
	const char *name;  /* short, for the command line: [a-z_] */
	const char *label; /* for the table */
	/* Does the operation n times; 0, or -1 with errno. */
	int (*run)(long n);
};

/*
 * With no arguments: warms up and sizes a batch for each case, times
 * BENCH_REPS batches of each, interleaved, and prints the median ns per
 * operation (unit names it) and its ratio to cases[0].
 * With arguments CASE N: runs only CASE, N times, untimed, so that
 * bench/run.sh can count the system calls it makes under strace.
 * Returns the exit status for main().
 */
int bench_main(int argc, char **argv, const char *title, const char *unit,
               const struct bench_case *cases, size_t ncases);

#endif /* BENCH_H */
