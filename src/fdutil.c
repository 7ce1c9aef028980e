/* Descriptor hygiene: close-on-exec everywhere, never 0, 1 or 2. */
#include "internal.h"

#include <errno.h>
#include <unistd.h>

/* F_DUPFD_CLOEXEC came with O_CLOEXEC; without one, do without both. */
#if HAVE_DECL_O_CLOEXEC && defined(F_DUPFD_CLOEXEC)
# define TFP_F_DUPFD F_DUPFD_CLOEXEC
#else
# define TFP_F_DUPFD F_DUPFD
#endif

int tfp_set_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);

	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

void tfp_close_keep_errno(int fd)
{
	int saved = errno;

	close(fd);
	errno = saved;
}

int tfp_dup(int fd)
{
	int d = fcntl(fd, TFP_F_DUPFD, STDERR_FILENO + 1);

	/* EINVAL from F_DUPFD means only that RLIMIT_NOFILE leaves nothing
	 * above 2: for the caller, who passed no number, that is open(2)'s
	 * EMFILE. */
	if (d < 0 && errno == EINVAL)
		errno = EMFILE;
	if (d >= 0 && TFP_F_DUPFD == F_DUPFD && tfp_set_cloexec(d) < 0) {
		tfp_close_keep_errno(d);
		return -1;
	}
	return d;
}

int tfp_fd_settle(int fd)
{
	int high;

	if (fd < 0)
		return -1;
	/* Without O_CLOEXEC a fork+exec in another thread can still slip in
	 * before this; there is no closing that window without the flag. */
	if (!TFP_O_CLOEXEC && tfp_set_cloexec(fd) < 0) {
		tfp_close_keep_errno(fd);
		return -1;
	}
	if (fd > STDERR_FILENO)
		return fd;
	/* A program that closed its standard streams must not have a stray
	 * printf() land in a temporary file. */
	high = tfp_dup(fd);
	tfp_close_keep_errno(fd);
	return high;
}

int tfp_dup_onto(int fd, int target)
{
#ifdef HAVE_DUP3
	return dup3(fd, target, O_CLOEXEC) < 0 ? -1 : 0;
#else
	/* dup2() clears close-on-exec: a fork+exec in between inherits it. */
	if (dup2(fd, target) < 0)
		return -1;
	return tfp_set_cloexec(target);
#endif
}

FILE *tfp_fd_stream(int fd, int append)
{
	int d = tfp_dup(fd);
	FILE *f;

	if (d < 0)
		return NULL;
	/* The duplicate shares the offset and O_APPEND with fd; "a+" makes
	 * the stream itself know that writes go to the end (ftell). */
	f = fdopen(d, append ? "a+" : "r+");
	if (!f)
		tfp_close_keep_errno(d);
	return f;
}
