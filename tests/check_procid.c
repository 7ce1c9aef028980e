/* Who a process is: src/procid.c.  A child never shares its parent's
 * token, however it was made. */
#include "src/internal.h"
#include "testutil.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

enum { BY_FORK, BY_UNDERSCORE_FORK, BY_SYSCALL, BY_CLONE, N_WAYS };

static int pipe_w = -1;

/* In the child: send the token up the pipe, exit without atexit. */
static int report(void *unused)
{
	uint64_t t = tfp_process_token();

	(void)unused;
	if (write(pipe_w, &t, sizeof t) != (ssize_t)sizeof t)
		tu_exit(2);
	tu_exit(0);
}

static pid_t spawn(int how)
{
	static char stack[64 * 1024] __attribute__((aligned(16)));
	pid_t pid;

	switch (how) {
	case BY_FORK:
		pid = fork();
		break;
#ifdef HAVE__FORK
	case BY_UNDERSCORE_FORK:
		pid = _Fork();
		break;
#endif
	case BY_CLONE:
		return clone(report, stack + sizeof stack, SIGCHLD, NULL);
	default:
		pid = (pid_t)syscall(SYS_fork);
		break;
	}
	if (pid == 0)
		report(NULL);
	return pid;
}

/* The token a child made in the given way reports. */
static uint64_t child_token(int how)
{
	int p[2], status;
	uint64_t t = 0;
	pid_t pid;

	ck_assert_int_eq(pipe(p), 0);
	pipe_w = p[1];
	pid = spawn(how);
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

START_TEST(test_same_pid_other_namespace)
{
	pid_t pid;
	int status;

	ck_assert_msg(unshare(CLONE_NEWPID) == 0, "unshare(CLONE_NEWPID): %s (run as root)",
	              strerror(errno));
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		tu_exit(pid1_child(NULL));
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status), "child died");
	ck_assert_int_eq(WEXITSTATUS(status), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("procid");
	TCase *tc = tu_tcase("token", 30);

	tcase_add_test(tc, test_stable);
	tcase_add_loop_test(tc, test_child_differs, 0, N_WAYS);
	tcase_add_test(tc, test_peek_in_child);
	tcase_add_test(tc, test_same_pid_other_namespace);
	suite_add_tcase(s, tc);
	return tu_main(s);
}
