/* The benchmark harness: see bench.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

/* Batches timed per case; the median of an odd count is one of them. */
#define BENCH_REPS 11
/* A batch lasts about this long: far above the clock's resolution, short
 * enough that 11 batches of 4 cases stay around a second. */
#define BATCH_NS 20000000.0
#define MAX_CASES 8

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* ns per operation for one batch of n, or a negative number on failure. */
static double time_batch(const struct bench_case *c, long n)
{
	double t0 = now_ns();

	if (c->run(n) < 0) {
		fprintf(stderr, "%s: %s\n", c->name, strerror(errno));
		return -1;
	}
	return (now_ns() - t0) / (double)n;
}

/* Doubles n until a batch takes BATCH_NS: the warm-up (caches, page faults,
 * the first refill of a buffer) and the sizing at once. */
static long size_batch(const struct bench_case *c)
{
	long n = 1;

	for (;;) {
		double per_op = time_batch(c, n);

		if (per_op < 0)
			return -1;
		if (per_op * (double)n >= BATCH_NS || n >= 1L << 30)
			return n;
		n *= 2;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static int compare(const char *title, const char *unit,
                   const struct bench_case *cases, size_t ncases)
{
	long batch[MAX_CASES];
	double t[MAX_CASES][BENCH_REPS], base = 0;
	size_t i;
	int r;

	for (i = 0; i < ncases; i++)
		if ((batch[i] = size_batch(&cases[i])) < 0)
			return 1;
	/* Interleaved, so that drift (frequency, other load) hits every case. */
	for (r = 0; r < BENCH_REPS; r++)
		for (i = 0; i < ncases; i++)
			if ((t[i][r] = time_batch(&cases[i], batch[i])) < 0)
				return 1;

	printf("%s: median of %d batches each, CLOCK_MONOTONIC\n", title, BENCH_REPS);
	printf("  %-34s %10s %10s %8s\n", "", unit, "(min)", "ratio");
	for (i = 0; i < ncases; i++) {
		double med;

		qsort(t[i], BENCH_REPS, sizeof t[i][0], cmp_double);
		med = t[i][BENCH_REPS / 2];
		if (i == 0)
			base = med;
		printf("  %-34s %10.1f %10.1f %8.2f\n", cases[i].label, med, t[i][0], med / base);
	}
	return 0;
}

int bench_main(int argc, char **argv, const char *title, const char *unit,
               const struct bench_case *cases, size_t ncases)
{
	size_t i;

	if (ncases > MAX_CASES) {
		fprintf(stderr, "%s: more than %d cases\n", argv[0], MAX_CASES);
		return 2;
	}
	if (argc == 1)
		return compare(title, unit, cases, ncases);
	if (argc == 3) {
		char *end;
		long n = strtol(argv[2], &end, 10);

		for (i = 0; i < ncases; i++) {
			if (strcmp(argv[1], cases[i].name) != 0)
				continue;
			if (*end || n < 0)
				break;
			/* n == 0 still runs the set-up: run.sh's baseline. */
			if (n > 0 && cases[i].run(n) < 0) {
				fprintf(stderr, "%s: %s\n", cases[i].name, strerror(errno));
				return 1;
			}
			return 0;
		}
	}
	fprintf(stderr, "usage: %s [CASE N]\ncases:", argv[0]);
	for (i = 0; i < ncases; i++)
		fprintf(stderr, " %s", cases[i].name);
	fputc('\n', stderr);
	return 2;
}
