/* Who a process is: src/procid.c.  A child never shares its parent's
 * token, however it was made. */
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int pipe_w = -1;

/* In the child: send the token up the pipe. */
static int report(void *unused)
{
	uint64_t t = tfp_process_token();

	(void)unused;
	return write(pipe_w, &t, sizeof t) == (ssize_t)sizeof t ? 0 : 2;
}

/* The token a child made in the given way reports. */
static uint64_t child_token(int how)
{
	int p[2], status;
	uint64_t t = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pipe_w = p[1];
	pid = tu_spawn(how, report, NULL);
	ck_assert_int_gt(pid, 0);
	close(p[1]);
	ck_assert_int_eq(read(p[0], &t, sizeof t), (ssize_t)sizeof t);
	close(p[0]);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	return t;
}

START_TEST(test_stable)
{
	uint64_t t = tfp_process_token();

	ck_assert_uint_ne(t, 0);
	ck_assert_uint_eq(tfp_process_token(), t);
	ck_assert_uint_eq(tfp_process_token_peek(), t);
}
END_TEST

START_TEST(test_child_differs)
{
	uint64_t parent = tfp_process_token(), child;

	ck_assert_uint_ne(parent, 0);
	child = child_token(_i);
	ck_assert_uint_ne(child, 0);
	ck_assert_uint_ne(child, parent);
	ck_assert_uint_eq(tfp_process_token(), parent);
}
END_TEST

/* A child that asked for nothing holds no token. */
START_TEST(test_peek_in_child)
{
	pid_t pid;
	int status;

	ck_assert_uint_ne(tfp_process_token(), 0);
	pid = (pid_t)syscall(SYS_fork);
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		tu_exit(tfp_process_token_peek() == 0 ? 0 : 1);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}
END_TEST

/* pid 1 in one pid namespace forks pid 1 in another: same pid, other
 * process.  Needs root (CI runs as root; elsewhere it fails, not skips). */
static int pid1_child(void *unused)
{
	uint64_t outer, inner;
	int p[2], status;
	pid_t pid;

	(void)unused;
	if (getpid() != 1)
		return 10;
	outer = tfp_process_token();
	if (!outer || unshare(CLONE_NEWPID) < 0 || pipe(p) < 0)
		return 11;
	pid = (pid_t)syscall(SYS_fork);
	if (pid < 0)
		return 12;
	if (pid == 0) {
		inner = getpid() == 1 ? tfp_process_token() : 0;
		tu_exit(write(p[1], &inner, sizeof inner) == (ssize_t)sizeof inner ? 0 : 1);
	}
	close(p[1]);
	if (read(p[0], &inner, sizeof inner) != (ssize_t)sizeof inner)
		return 13;
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status))
		return 14;
	if (!inner)
		return 15;
	return inner == outer ? 16 : 0;
}

/* In a child of the test, so that the test's own process never unshares:
 * once the namespace's pid 1 is gone, that process could fork no more
 * (LeakSanitizer's tracer at exit included). */
static int new_namespace(void *unused)
{
	pid_t pid;
	int status;

	(void)unused;
	if (unshare(CLONE_NEWPID) < 0)
		return 20;
	pid = fork();
	if (pid < 0)
		return 21;
	if (pid == 0)
		_exit(pid1_child(NULL));
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return 22;
	return WEXITSTATUS(status);
}

START_TEST(test_same_pid_other_namespace)
{
	/* 20: unshare(CLONE_NEWPID) failed (needs root); 16: same token. */
	ck_assert_int_eq(tu_run(new_namespace, NULL, 0), 0);
}
END_TEST

static pid_t init_parent;
static atomic_int in_init, spawned;

/* Holds the parent's first tfp_process_token() inside its setting up
 * until the child is made. */
static void hold_init(void)
{
	const struct timespec pause = { 0, 1000000 };

	if (getpid() != init_parent)
		return;
	atomic_store(&in_init, 1);
	while (!atomic_load(&spawned))
		nanosleep(&pause, NULL);
}

static void *first_token(void *arg)
{
	*(uint64_t *)arg = tfp_process_token();
	return NULL;
}

static int token_or_fail(void *unused)
{
	(void)unused;
	return tfp_process_token() ? 0 : 1;
}

/* A child made while another thread of its parent sets the token up gets
 * one of its own without waiting for that thread, however it was made. */
START_TEST(test_fork_during_init)
{
	const struct timespec pause = { 0, 1000000 };
	uint64_t parent = 0;
	pthread_t t;
	pid_t pid;
	int failed = 0;

	init_parent = getpid();
	tfp_procid_init_hook = hold_init;
	ck_assert_int_eq(pthread_create(&t, NULL, first_token, &parent), 0);
	while (!atomic_load(&in_init))
		nanosleep(&pause, NULL);
	pid = tu_spawn(_i, token_or_fail, NULL);
	atomic_store(&spawned, 1);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_gt(pid, 0);
	ck_assert_msg(tu_reap(&pid, 1, 5, &failed) == 0, "child made by way %d hung", _i);
	ck_assert_int_eq(failed, 0);
	ck_assert_uint_ne(parent, 0);
}
END_TEST

/* ---- Where the kernel has no MADV_WIPEONFORK ---- */

static int pipe_peek_w = -1;

/* In the child: what peek said before drawing, then the token drawn. */
static int report_peek(void *unused)
{
	uint64_t t[2];

	(void)unused;
	t[0] = tfp_process_token_peek();
	t[1] = tfp_process_token();
	return write(pipe_peek_w, t, sizeof t) == (ssize_t)sizeof t ? 0 : 2;
}

/* madvise() refused, as before Linux 4.14: the token carries the pid, and
 * a child made any way neither sees nor keeps its parent's (the fork hook
 * clears it for fork(); the pid tells the other ways apart). */
static int no_wipeonfork(void *arg)
{
	int how = *(int *)arg, p[2], status;
	uint64_t t, kid[2] = { 0, 0 };
	pid_t pid;

	REQ(tu_deny_syscall(SYS_madvise, EINVAL) == 0);
	REQ(tfp_process_token_peek() == 0);
	t = tfp_process_token();
	REQ(t != 0);
	REQ((t & 0xffffffff) == (uint64_t)getpid());
	REQ(tfp_process_token_peek() == t);
	REQ(pipe(p) == 0);
	pipe_peek_w = p[1];
	REQ((pid = tu_spawn(how, report_peek, NULL)) > 0);
	close(p[1]);
	REQ(read(p[0], kid, sizeof kid) == (ssize_t)sizeof kid);
	REQ(waitpid(pid, &status, 0) == pid && WIFEXITED(status) && WEXITSTATUS(status) == 0);
	REQ(kid[0] == 0);
	REQ(kid[1] != 0 && kid[1] != t);
	REQ((kid[1] & 0xffffffff) == (uint64_t)pid);
	REQ(tfp_process_token() == t);
	return 0;
}

START_TEST(test_without_wipeonfork)
{
	int how = _i;

	/* In a child: this process's token must still be undrawn. */
	ck_assert_int_eq(tu_run(no_wipeonfork, &how, 0), 0);
}
END_TEST

static atomic_int raced;
static uint64_t other_token;

static void *draw_token(void *unused)
{
	(void)unused;
	other_token = tfp_process_token();
	return NULL;
}

/* Lets another thread set the token up from start to end while the first
 * is inside its own setting up. */
static void overtake(void)
{
	pthread_t t;

	if (atomic_exchange(&raced, 1))
		return;
	if (pthread_create(&t, NULL, draw_token, NULL) == 0)
		pthread_join(t, NULL);
}

/* Two threads that both set up: the one that publishes first wins, the
 * other gives its page back, and both have the same token. */
static int init_race(void *unused)
{
	uint64_t t;

	(void)unused;
	tfp_procid_init_hook = overtake;
	t = tfp_process_token();
	REQ(atomic_load(&raced));
	REQ(t != 0);
	REQ(t == other_token);
	REQ(tfp_process_token_peek() == t);
	return 0;
}

START_TEST(test_init_race)
{
	ck_assert_int_eq(tu_run(init_race, NULL, 0), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("procid");
	TCase *tc = tu_tcase("token", 30);

	tcase_add_test(tc, test_stable);
	tcase_add_loop_test(tc, test_child_differs, 0, TU_N_WAYS);
	tcase_add_test(tc, test_peek_in_child);
	tcase_add_test(tc, test_same_pid_other_namespace);
	tcase_add_loop_test(tc, test_fork_during_init, 0, TU_N_WAYS);
	tcase_add_loop_test(tc, test_without_wipeonfork, 0, TU_N_WAYS);
	tcase_add_test(tc, test_init_race);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
