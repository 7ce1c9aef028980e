/* The benchmark harness: see bench.h. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define BENCH_ROUNDS 15
#define MAX_ROUNDS 201
#define QUICK_ROUNDS 3
#define QUICK_BATCH 16
/* A batch of the floor lasts about this long: far above the clock's
 * resolution, short enough that drift within a round stays small. */
#define BATCH_NS 4000000.0
#define MAX_CASES 12

double bench_discount_ns;
int bench_quick;

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

/* ns per operation for one batch of n into *ns, its set-up and clean-up
 * untimed; 0, or -1 on failure (reported).  What prep discounts may make
 * *ns negative where the work is as cheap as what is discounted. */
static int time_batch(const struct bench_case *c, long n, double *ns)
{
	double t0, t1;

	bench_discount_ns = 0;
	if (c->prep && c->prep(n) < 0)
		return fail(c);
	t0 = now_ns();
	if (c->run(n) < 0)
		return fail(c);
	t1 = now_ns();
	if (c->done && c->done(n) < 0)
		return fail(c);
	*ns = (t1 - t0 - bench_discount_ns) / (double)n;
	return 0;
}

/* Doubles n until a batch of the floor takes BATCH_NS: warms up (caches,
 * page faults, the first refill of a buffer) and sizes at once. */
static long size_batch(const struct bench_case *c, long max_batch)
{
	long n = 1;
	double per_op;

	for (;;) {
		if (time_batch(c, n, &per_op) < 0)
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

/* The median of v[0..n), v left as it is: the rounds' times stay paired
 * with the floor's of the same round. */
static double median(const double *v, int n)
{
	static double s[MAX_ROUNDS];

	memcpy(s, v, (size_t)n * sizeof *v);
	qsort(s, (size_t)n, sizeof *s, cmp_double);
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* Times the rounds of tb into t[case][round]; rows that cannot run are
 * skipped.  The first row always runs (it is the floor). */
static int time_rounds(const struct bench_table *tb, long n, int rounds,
                       double t[][MAX_ROUNDS])
{
	size_t i, k;
	double ns;
	int r;

	if (!bench_quick && tb->max_batch > 1) /* warm-up; single big batches need none */
		for (i = 0; i < tb->ncases; i++)
			if (tb->cases[i].run && time_batch(&tb->cases[i], n, &ns) < 0)
				return -1;
	for (r = 0; r < rounds; r++)
		for (k = 0; k < tb->ncases; k++) {
			i = (k + (size_t)r) % tb->ncases;
			if (tb->cases[i].run && time_batch(&tb->cases[i], n, &t[i][r]) < 0)
				return -1;
		}
	return 0;
}

/* The rounds of a table of the default: BENCH_ROUNDS from the
 * environment (3 to MAX_ROUNDS) where set, for a longer, steadier run. */
static int default_rounds(void)
{
	const char *e = getenv("BENCH_ROUNDS");
	long r = e ? strtol(e, NULL, 10) : 0;

	return r >= 3 && r <= MAX_ROUNDS ? (int)r : BENCH_ROUNDS;
}

static int compare(struct bench_table *tb)
{
	static double t[MAX_CASES][MAX_ROUNDS], ratio[MAX_ROUNDS];
	double lo, hi;
	int rounds = bench_quick ? QUICK_ROUNDS : tb->rounds ? tb->rounds : default_rounds(), r;
	long n = bench_quick || tb->max_batch == 1
	                 ? (tb->max_batch < QUICK_BATCH ? tb->max_batch : QUICK_BATCH)
	                 : size_batch(&tb->cases[0], tb->max_batch);
	size_t i;

	if (rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;
	if (n < 0 || time_rounds(tb, n, rounds, t) < 0)
		return 1;
	printf("%s\n  %d rounds of %ld, order rotating; ratio to the first row: "
	       "median (min-max); %s: median, context only\n", tb->title, rounds, n, tb->unit);
	for (i = 0; i < tb->ncases; i++) {
		if (!tb->cases[i].run) {
			printf("  %-50s      -\n", tb->cases[i].label);
			tb->ratio[i] = tb->ns[i] = 0;
			continue;
		}
		lo = hi = t[i][0] / t[0][0];
		for (r = 0; r < rounds; r++) {
			ratio[r] = t[i][r] / t[0][r];
			lo = ratio[r] < lo ? ratio[r] : lo;
			hi = ratio[r] > hi ? ratio[r] : hi;
		}
		tb->ratio[i] = median(ratio, rounds);
		tb->ns[i] = median(t[i], rounds);
		printf("  %-50s %6.3fx (%5.3f-%5.3f) %11.1f\n", tb->cases[i].label, tb->ratio[i],
		       lo, hi, tb->ns[i]);
	}
	fflush(stdout);
	return 0;
}

static void mark(const char *what)
{
	(void)access(what, F_OK); /* seen by strace only */
}

/* CASE N: N operations in batches of at most max_batch. */
static int run_case(const struct bench_case *c, long n, long max_batch)
{
	while (n > 0) {
		long b = n < max_batch ? n : max_batch;
		int r;

		if (c->prep && c->prep(b) < 0)
			return fail(c), 1;
		mark("/bench:start");
		r = c->run(b);
		mark("/bench:stop");
		if (r < 0 || (c->done && c->done(b) < 0))
			return fail(c), 1;
		n -= b;
	}
	return 0;
}

static void usage(const char *prog, const struct bench_table *tables, size_t ntables)
{
	size_t t, i;

	fprintf(stderr, "usage: %s [-q] [CASE N | -h]\n", prog);
	for (t = 0; t < ntables; t++)
		for (i = 0; i < tables[t].ncases; i++) {
			const struct bench_case *c = &tables[t].cases[i];

			long n = tables[t].count ? tables[t].count : 1000;

			if (c->run)
				fprintf(stderr, "case %s %s %ld %ld\n", c->name, c->fn ? c->fn : "-",
				        n < 0 ? 0 : n, n < -1 ? -n : n < 0 ? 0 : n);
		}
}

/* CASE N: the case named, in whichever table has it. */
static int one_case(char **argv, struct bench_table *tables, size_t ntables)
{
	char *end;
	long n = strtol(argv[2], &end, 10);
	size_t t, i;

	if (*end || n < 0)
		return 2;
	for (t = 0; t < ntables; t++)
		for (i = 0; i < tables[t].ncases; i++) {
			const struct bench_case *c = &tables[t].cases[i];

			if (strcmp(argv[1], c->name) != 0 || !c->run)
				continue;
			if (tables[t].before && tables[t].before() < 0)
				return fail(c), 1;
			/* n == 0 still runs the program's set-up. */
			return run_case(c, n, tables[t].max_batch);
		}
	return 2;
}

void bench_parse_quick(int *argc, char **argv)
{
	if (*argc > 1 && strcmp(argv[1], "-q") == 0) {
		bench_quick = 1;
		argv[1] = argv[0];
		memmove(argv + 1, argv + 2, (size_t)(*argc - 1) * sizeof *argv);
		(*argc)--;
	}
}

const char *bench_parse_dir(int *argc, char ***argv)
{
	char **v = *argv;
	const char *dir = NULL;

	if (*argc >= 3 && strcmp(v[1], "-d") == 0) {
		dir = v[2];
		v[2] = v[0];
		*argc -= 2;
		*argv = v + 2;
	}
	bench_parse_quick(argc, *argv);
	return dir;
}

int bench_tables(int argc, char **argv, struct bench_table *tables, size_t ntables)
{
	size_t t;
	int status = 2;

	bench_parse_quick(&argc, argv);
	for (t = 0; t < ntables; t++)
		if (tables[t].ncases > MAX_CASES || !tables[t].cases[0].run) {
			fprintf(stderr, "%s: table %zu: more than %d cases or no floor\n",
			        argv[0], t, MAX_CASES);
			return 2;
		}
	if (argc == 1) {
		for (t = 0; t < ntables; t++) {
			if (t)
				putchar('\n');
			if ((tables[t].before && tables[t].before() < 0) || compare(&tables[t]))
				return 1;
			if (tables[t].after)
				tables[t].after(&tables[t]);
		}
		return 0;
	}
	if (argc == 3)
		status = one_case(argv, tables, ntables);
	if (status == 2)
		usage(argv[0], tables, ntables);
	return status;
}

int bench_main(int argc, char **argv, const char *title, const char *unit,
               const struct bench_case *cases, size_t ncases, long max_batch)
{
	struct bench_table tb = { title, unit, cases, ncases, max_batch, 0, 0, NULL, NULL, {0}, {0} };

	return bench_tables(argc, argv, &tb, 1);
}
