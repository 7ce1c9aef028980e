/* Other processes for the benchmarks: see proc.h. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "proc.h"

static int wait_for(pid_t pid)
{
	int status;

	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int proc_run(char *const argv[])
{
	pid_t pid;
	int err = posix_spawnp(&pid, argv[0], NULL, NULL, argv, environ);

	if (err) {
		errno = err;
		return -1;
	}
	return wait_for(pid);
}

int coproc_start(struct coproc *p, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int in[2], out[2], err;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(out, O_CLOEXEC) < 0) {
		close(in[0]), close(in[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0], 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], 1);
	err = posix_spawnp(&p->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(in[0]);
	close(out[1]);
	if (err) {
		close(in[1]), close(out[0]);
		errno = err;
		return -1;
	}
	p->to = in[1];
	p->from = out[0];
	return 0;
}

int coproc_ask(struct coproc *p, const char *line)
{
	char buf[16];
	size_t len = strlen(line), got = 0;
	ssize_t r;

	if (write(p->to, line, len) != (ssize_t)len)
		return -1;
	while (got < sizeof buf - 1 && (got == 0 || buf[got - 1] != '\n')) {
		r = read(p->from, buf + got, sizeof buf - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	if (got != 3 || memcmp(buf, "ok\n", 3) != 0) {
		errno = EPROTO;
		return -1;
	}
	return 0;
}

void coproc_stop(struct coproc *p)
{
	close(p->to);
	close(p->from);
	wait_for(p->pid);
}
