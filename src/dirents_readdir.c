/* Directory entries through fdopendir(3) and readdir(3), where there is no
 * getdents64(2).  readdir() allocates, so in this build tfp_rmtree_contents()
 * and tempfile_cleanup_all() are not async-signal-safe: from a fatal-signal
 * handler they may deadlock in malloc if the signal interrupted it (exit()
 * and explicit calls are fine). */
#include "internal.h"

#include <dirent.h>
#include <errno.h>
#include <unistd.h>

/* Without d_type every entry may be a directory; rmtree.c then finds out
 * by trying to open it as one. */
#ifdef DT_DIR
# define MAYBE_DIR(e) ((e)->d_type == DT_DIR || (e)->d_type == DT_UNKNOWN)
#else
# define MAYBE_DIR(e) 1
#endif

int tfp_dirents_open(struct tfp_dirents *it, int dirfd, off_t start)
{
	/* closedir() closes the descriptor it was given: hand it a copy. */
	int fd = tfp_dup(dirfd);

	if (fd < 0)
		return -1;
	it->fd = fd;
	if (!(it->dir = fdopendir(fd))) {
		int saved = errno;

		close(fd);
		errno = saved;
		return -1;
	}
	/* The copy shares dirfd's offset, wherever a previous pass left it;
	 * tfp_dirents_tell() gives no position, so start is always 0. */
	TFP_UNUSED(start);
	rewinddir(it->dir);
	return 0;
}

int tfp_dirents_next(struct tfp_dirents *it, const char **name, int *maybe_dir)
{
	const struct dirent *e;

	errno = 0;
	if (!(e = readdir(it->dir)))
		return errno ? -1 : 0;
	*name = e->d_name;
	*maybe_dir = MAYBE_DIR(e);
	return 1;
}

/* telldir() cookies need not outlive their DIR (they do not on the BSDs). */
off_t tfp_dirents_tell(const struct tfp_dirents *it)
{
	TFP_UNUSED(it);
	return -1;
}

void tfp_dirents_close(struct tfp_dirents *it)
{
	closedir(it->dir);
}

void tfp_dirents_use(struct tfp_dirents *it, void *buf, size_t size)
{
	TFP_UNUSED(it);
	TFP_UNUSED(buf);
	TFP_UNUSED(size);
}

unsigned tfp_dirents_batches(const struct tfp_dirents *it)
{
	TFP_UNUSED(it);
	return 0;
}
