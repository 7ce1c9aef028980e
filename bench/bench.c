/* The benchmark harness: see bench.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"

#define BENCH_ROUNDS 15
#define QUICK_ROUNDS 3
#define QUICK_BATCH 16
/* A batch of the floor lasts about this long: far above the clock's
 * resolution, short enough that drift within a round stays small. */
#define BATCH_NS 4000000.0
#define MAX_CASES 8

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int fail(const struct bench_case *c)
{
	fprintf(stderr, "%s: %s\n", c->name, strerror(errno));
	return -1;
}

/* ns per operation for one batch of n, its set-up and clean-up untimed;
 * negative on failure. */
static double time_batch(const struct bench_case *c, long n)
{
	double t0, t1;

	if (c->prep && c->prep(n) < 0)
		return fail(c);
	t0 = now_ns();
	if (c->run(n) < 0)
		return fail(c);
	t1 = now_ns();
	if (c->done && c->done(n) < 0)
		return fail(c);
	return (t1 - t0) / (double)n;
}

/* Doubles n until a batch of the floor takes BATCH_NS: warms up (caches,
 * page faults, the first refill of a buffer) and sizes at once. */
static long size_batch(const struct bench_case *c, long max_batch)
{
	long n = 1;

	for (;;) {
		double per_op = time_batch(c, n);

		if (per_op < 0)
			return -1;
		if (per_op * (double)n >= BATCH_NS || n >= max_batch)
			return n;
		n = 2 * n > max_batch ? max_batch : 2 * n;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static int compare(const char *title, const char *unit, const struct bench_case *cases,
                   size_t ncases, long max_batch, int quick)
{
	double t[MAX_CASES][BENCH_ROUNDS], ratio[MAX_CASES][BENCH_ROUNDS];
	int rounds = quick ? QUICK_ROUNDS : BENCH_ROUNDS, r;
	long n = quick ? QUICK_BATCH : size_batch(&cases[0], max_batch);
	size_t i, k;

	if (n < 0)
		return 1;
	for (i = 0; i < ncases; i++) /* warm-up */
		if (time_batch(&cases[i], n) < 0)
			return 1;
	for (r = 0; r < rounds; r++) {
		for (k = 0; k < ncases; k++) {
			i = (k + (size_t)r) % ncases;
			if ((t[i][r] = time_batch(&cases[i], n)) < 0)
				return 1;
		}
		for (i = 0; i < ncases; i++)
			ratio[i][r] = t[i][r] / t[0][r];
	}

	printf("%s\n  %d rounds of %ld, order rotating; ratio to the first row: "
	       "median (min-max); %s: median, context only\n", title, rounds, n, unit);
	for (i = 0; i < ncases; i++) {
		double med = median(ratio[i], rounds);

		printf("  %-40s %6.3fx (%5.3f-%5.3f) %9.1f\n", cases[i].label, med,
		       ratio[i][0], ratio[i][rounds - 1], median(t[i], rounds));
	}
	return 0;
}

/* CASE N: N operations in batches of at most max_batch. */
static int run_case(const struct bench_case *c, long n, long max_batch)
{
	while (n > 0) {
		long b = n < max_batch ? n : max_batch;

		if ((c->prep && c->prep(b) < 0) || c->run(b) < 0 ||
		    (c->done && c->done(b) < 0)) {
			fail(c);
			return 1;
		}
		n -= b;
	}
	return 0;
}

int bench_main(int argc, char **argv, const char *title, const char *unit,
               const struct bench_case *cases, size_t ncases, long max_batch)
{
	int quick = argc > 1 && strcmp(argv[1], "-q") == 0;
	size_t i;

	if (ncases > MAX_CASES) {
		fprintf(stderr, "%s: more than %d cases\n", argv[0], MAX_CASES);
		return 2;
	}
	if (argc == 1 + quick)
		return compare(title, unit, cases, ncases, max_batch, quick);
	if (argc == 3) {
		char *end;
		long n = strtol(argv[2], &end, 10);

		for (i = 0; i < ncases; i++) {
			if (strcmp(argv[1], cases[i].name) != 0)
				continue;
			if (*end || n < 0)
				break;
			/* n == 0 still runs the program's set-up: run.sh's baseline. */
			return run_case(&cases[i], n, max_batch);
		}
	}
	fprintf(stderr, "usage: %s [-q] [CASE N]\ncases:", argv[0]);
	for (i = 0; i < ncases; i++)
		fprintf(stderr, " %s", cases[i].name);
	fprintf(stderr, "\nfunctions:");
	for (i = 0; i < ncases; i++)
		fprintf(stderr, " %s:%s", cases[i].name, cases[i].fn);
	fputc('\n', stderr);
	return 2;
}
