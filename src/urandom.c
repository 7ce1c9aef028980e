/* Reading /dev/urandom: the random source of last resort, built everywhere
 * so that the backends can fall back to it and the tests can reach it. */
#include "internal.h"

#include <errno.h>
#include <unistd.h>

static int open_urandom(void)
{
	struct stat st;
	int fd;

	do
		fd = open("/dev/urandom", O_RDONLY | TFP_O_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -1;
	/* A regular file planted at /dev/urandom would give predictable names. */
	if (fstat(fd, &st) < 0 || !S_ISCHR(st.st_mode)) {
		close(fd);
		errno = EIO;
		return -1;
	}
	return fd;
}

int tfp_urandom_bytes(void *buf, size_t n)
{
	unsigned char *p = buf;
	int fd = open_urandom();

	if (fd < 0)
		return -1;
	while (n > 0) {
		ssize_t r = read(fd, p, n);

		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			close(fd);
			if (r == 0)
				errno = EIO;
			return -1;
		}
		p += r;
		n -= (size_t)r;
	}
	close(fd);
	return 0;
}
