/* Directory entries through getdents64(2), into the iterator's own buffer:
 * no allocation, no lock, so tfp_rmtree_contents() and with it
 * tempfile_cleanup_all() stay async-signal-safe.  (glibc 2.30+ declares
 * getdents64 in <dirent.h> under _GNU_SOURCE; musl declares it as getdents
 * with a struct dirent * buffer, hence the void *.)  d_off is where the
 * entry after this one starts: a position lseek() takes back, on any
 * descriptor of the directory. */
#include "internal.h"

#include <dirent.h>
#include <unistd.h>

int tfp_dirents_open(struct tfp_dirents *it, int dirfd, off_t start)
{
	it->fd = dirfd;
	it->pos = it->len = 0;
	it->at = it->next = start;
	it->buf = it->u.buf;
	it->size = sizeof it->u.buf;
	it->next_buf = NULL;
	it->next_size = 0;
	it->batches = 0;
	/* Every pass starts where it is told, whoever read dirfd before. */
	return lseek(dirfd, start, SEEK_SET) < 0 ? -1 : 0;
}

int tfp_dirents_next(struct tfp_dirents *it, const char **name, int *maybe_dir)
{
	const struct dirent64 *e;

	if (it->pos >= it->len) {
		ssize_t n;

		/* The entries of the batch before are all read: a buffer given
		 * meanwhile can take over. */
		if (it->next_buf) {
			it->buf = it->next_buf;
			it->size = it->next_size;
			it->next_buf = NULL;
		}
		n = getdents64(it->fd, (void *)it->buf, it->size);

		it->batches++;
		if (n <= 0)
			return n < 0 ? -1 : 0;
		it->pos = 0;
		it->len = (size_t)n;
	}
	/* The kernel aligns every record; the union, or the caller, aligns
	 * the buffer. */
	e = (const struct dirent64 *)(const void *)(it->buf + it->pos);
	it->pos += e->d_reclen;
	it->at = it->next;
	it->next = (off_t)e->d_off;
	*name = e->d_name;
	*maybe_dir = e->d_type == DT_DIR || e->d_type == DT_UNKNOWN;
	return 1;
}

off_t tfp_dirents_tell(const struct tfp_dirents *it)
{
	return it->at;
}

void tfp_dirents_close(struct tfp_dirents *it)
{
	TFP_UNUSED(it);
}

void tfp_dirents_use(struct tfp_dirents *it, void *buf, size_t size)
{
	it->next_buf = buf;
	it->next_size = size;
}

unsigned tfp_dirents_batches(const struct tfp_dirents *it)
{
	return it->batches;
}
