/* Other processes for the benchmarks: rm -rf, a python3 that waits for
 * orders.  See proc.c. */
#ifndef BENCH_PROC_H
#define BENCH_PROC_H

#include <sys/types.h>

/* Runs argv[0] (looked up in PATH) and waits: its exit status, or -1 with
 * errno (ENOENT where it is not installed). */
int proc_run(char *const argv[]);

/* A child that reads one line of orders on its standard input and answers
 * each with one line on its standard output. */
struct coproc {
	pid_t pid;
	int to, from;
};

/* 0, or -1 with errno (ENOENT where argv[0] is not installed). */
int coproc_start(struct coproc *p, char *const argv[]);
/* Sends line (with its '\n') and waits for the answer: 0 if it is "ok",
 * else -1 (EPROTO). */
int coproc_ask(struct coproc *p, const char *line);
/* Closes its input and waits for it. */
void coproc_stop(struct coproc *p);

#endif /* BENCH_PROC_H */
