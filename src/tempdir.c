/*
 * The default directory and prefix: Python's gettempdir(), tempdir,
 * gettempprefix() and template.
 *
 * Settings are published as pointers to interned strings that are never
 * freed, so a string handed out stays valid whatever other threads set
 * later, and reading a setting takes no lock.  Nothing here takes a lock
 * at all: a child made by _Fork() or syscall(SYS_fork) while another thread
 * held one would wait for it forever.
 */
#include "internal.h"

#include <errno.h>
#ifdef HAVE_LINUX_FS_H
# include <linux/fs.h>
#endif
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

/* chattr(1)'s attributes are kernel ABI, also where the C library's headers
 * lack <linux/fs.h> (musl's). */
#if defined(__linux__) && !defined(FS_IOC_GETFLAGS)
# define FS_IOC_GETFLAGS _IOR('f', 1, long)
# define FS_IMMUTABLE_FL 0x00000010
# define FS_APPEND_FL 0x00000020
#endif

/* Names tried per directory when the first ones are taken. */
#define PROBE_TRIES 10
/* Further attempts at removing the probe file after a transient failure. */
#define UNLINK_TRIES 10

static const char default_prefix[] = "tmp";
static const char *const fixed_dirs[] = { "/tmp", "/var/tmp", "/usr/tmp" };
static const char *const env_dirs[] = { "TMPDIR", "TEMP", "TMP" };

/* Interned strings form a binary search tree, ordered by a hash and then
 * by the strings, that only ever grows: a node is linked in with one
 * compare-and-swap and never moves, so lookups and insertions need no lock,
 * and the hash keeps it about 2 ln n deep whatever order the program sets
 * its values in.  Memory stays bounded by the distinct values set. */
struct interned {
	_Atomic(struct interned *) child[2];
	uint64_t hash;
	size_t len;
	size_t clean_len; /* tfp_clean_abs_len(s), known once for the hot path */
	char s[];
};

static _Atomic(struct interned *) interned;
int (*tfp_probe_unlink_hook)(const char *path);
static _Atomic(const char *) tempdir;
static _Atomic(const char *) prefix;

/* FNV-1a, then a finaliser (splitmix64's) so that strings differing only
 * at the end still spread over the whole tree. */
static uint64_t hash_string(const char *s)
{
	uint64_t h = UINT64_C(14695981039346656037);

	while (*s)
		h = (h ^ (unsigned char)*s++) * UINT64_C(1099511628211);
	h = (h ^ (h >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	h = (h ^ (h >> 27)) * UINT64_C(0x94d049bb133111eb);
	return h ^ (h >> 31);
}

/* The one interned copy of s, or NULL with ENOMEM. */
static const char *intern(const char *s)
{
	_Atomic(struct interned *) *slot = &interned;
	struct interned *node = NULL, *at;
	uint64_t hash = hash_string(s);
	size_t len = strlen(s);

	for (;;) {
		int c;

		at = atomic_load_explicit(slot, memory_order_acquire);
		if (!at) {
			if (!node && !(node = malloc(sizeof *node + len + 1))) {
				errno = ENOMEM;
				return NULL;
			}
			atomic_init(&node->child[0], NULL);
			atomic_init(&node->child[1], NULL);
			node->hash = hash;
			node->len = len;
			memcpy(node->s, s, len + 1);
			node->clean_len = tfp_clean_abs_len(node->s);
			if (atomic_compare_exchange_strong_explicit(slot, &at, node,
			        memory_order_release, memory_order_acquire))
				return node->s;
			/* Another thread linked a node here first: go on below it. */
		}
		c = at->hash != hash ? (at->hash < hash ? 1 : -1) : strcmp(s, at->s);
		if (c == 0) {
			free(node); /* never published */
			return at->s;
		}
		slot = &at->child[c > 0];
	}
}

/* The node of a string intern() returned. */
static const struct interned *node_of(const char *s)
{
	return (const struct interned *)(const void *)(s - offsetof(struct interned, s));
}

static int publish(_Atomic(const char *) *slot, const char *value)
{
	const char *s = NULL;

	if (value && !(s = intern(value)))
		return -1;
	atomic_store_explicit(slot, s, memory_order_release);
	return 0;
}

/* gcc 12's -fanalyzer loses track of the strdup()s that
 * tempfile_candidate_tempdir_list() stores at list[n++], and takes the
 * loop here for one that frees none of them: a false "leak" at free(strv).
 * (valgrind's leak check in .ci/checkers sees these lists freed.) */
#pragma GCC diagnostic push
#if defined(__GNUC__) && __GNUC__ >= 10 && !defined(__clang__)
# pragma GCC diagnostic ignored "-Wanalyzer-malloc-leak"
#endif
void tempfile_strv_free(char **strv)
{
	char **p;

	if (!strv)
		return;
	for (p = strv; *p; p++)
		free(*p);
	free(strv);
}
#pragma GCC diagnostic pop

char **tempfile_candidate_tempdir_list(void)
{
	const size_t max = sizeof env_dirs / sizeof *env_dirs
	                   + sizeof fixed_dirs / sizeof *fixed_dirs + 2;
	char **list = calloc(max, sizeof *list);
	size_t n = 0, i;

	if (!list)
		goto nomem;
	for (i = 0; i < sizeof env_dirs / sizeof *env_dirs; i++) {
		const char *v = tfp_getenv(env_dirs[i]);

		if (v && *v && !(list[n++] = strdup(v)))
			goto nomem;
	}
	for (i = 0; i < sizeof fixed_dirs / sizeof *fixed_dirs; i++)
		if (!(list[n++] = strdup(fixed_dirs[i])))
			goto nomem;
	list[n] = tfp_getcwd();
	if (!list[n] && (errno == ENOMEM || !(list[n] = strdup("."))))
		goto nomem;
	return list;
nomem:
	tempfile_strv_free(list);
	errno = ENOMEM;
	return NULL;
}

/* Writes the probe's bytes to fd and closes it; -1 with errno if either
 * failed. */
static int write_probe(int fd)
{
	static const char data[4] = "blat";
	ssize_t w = write(fd, data, sizeof data);
	int saved = w < 0 ? errno : EIO;

	if (close(fd) < 0 && w == (ssize_t)sizeof data) {
		saved = errno;
		w = -1;
	}
	if (w != (ssize_t)sizeof data) {
		errno = saved;
		return -1;
	}
	return 0;
}

/* unlink(), again after a failure that may pass (a signal, a busy file
 * server). */
static int remove_probe(const char *path)
{
	const struct timespec pause = { 0, 1000000 };
	int i, r;

	for (i = 0;; i++) {
		r = tfp_probe_unlink_hook ? tfp_probe_unlink_hook(path) : unlink(path);
		if (r == 0 || (errno != EINTR && errno != EBUSY) || i == UNLINK_TRIES)
			return r;
		nanosleep(&pause, NULL);
	}
}

/* Creates, writes and removes one file, as Python's probe does, with the
 * fatal signals held off here and the file registered from before its
 * creation until after its removal, for a handler in another thread: no
 * signal can leave it.  The reservation may come inside a constructor's
 * own (the first use of the default directory).  A file that cannot be
 * removed fails the probe.  -1 with errno on failure. */
static int probe_named(const char *path)
{
	struct tfp_exit_slot *slot;
	sigset_t old;
	int fd = -1, r = -1, saved;

	tfp_block_fatal_signals(&old);
	if ((slot = tfp_exit_reserve_nested()))
		fd = tfp_create_file(AT_FDCWD, path, 0);
	if (fd >= 0) {
		tfp_exit_commit(slot, path, -1);
		r = write_probe(fd);
		saved = errno;
		/* Unless a handler in another thread got there first. */
		if (!tfp_exit_claim(slot) && remove_probe(path) < 0)
			r = -1;
		else
			errno = saved;
	}
	saved = errno;
	tfp_exit_unregister(slot);
	tfp_restore_signals(&old);
	errno = saved;
	return r;
}

#ifdef FS_IOC_GETFLAGS
/* Whether the file system says nothing can be removed from dir (chattr +a
 * or +i): then an O_TMPFILE probe would succeed and every named file made
 * there stay.  0 where it cannot tell; the probe decides then. */
static int unremovable(const char *dir)
{
	struct stat st;
	int fd, flags = 0, r;

	/* Without O_DIRECTORY, never open a device or a FIFO. */
	if (!TFP_O_DIRECTORY && (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)))
		return 0;
	fd = open(dir, O_RDONLY | O_NONBLOCK | O_NOCTTY | TFP_O_DIRECTORY | TFP_O_CLOEXEC);
	if (fd < 0)
		return 0;
	r = ioctl(fd, FS_IOC_GETFLAGS, &flags) == 0 &&
	    (flags & (FS_APPEND_FL | FS_IMMUTABLE_FL)) != 0;
	close(fd);
	return r;
}
# define CAN_TELL_UNREMOVABLE 1
#else
static int unremovable(const char *dir)
{
	TFP_UNUSED(dir);
	return 0;
}
# define CAN_TELL_UNREMOVABLE 0
#endif

/* The O_TMPFILE probe leaves no name behind whatever happens; -2 where it
 * cannot be used, for the named one.  It cannot show that files can be
 * removed, so it is used only where unremovable() can tell. */
static int probe_unnamed(const char *dir)
{
	int fd;

	if (!CAN_TELL_UNREMOVABLE)
		return -2;
	fd = tfp_open_tmpfile(AT_FDCWD, dir, O_RDWR | TFP_O_CLOEXEC);
	if (fd == -1)
		return -2;
	if (fd < 0)
		return -1;
	return write_probe(fd);
}

static int probe_dir(const char *dir)
{
	struct tfp_template t;
	int i, r;

	if (unremovable(dir)) {
		errno = EPERM;
		return -1;
	}
	r = probe_unnamed(dir);
	if (r != -2)
		return r;
	if (tfp_template_init(&t, NULL, default_prefix, dir, 0) < 0)
		return -1;
	for (i = 0, r = -1; i < PROBE_TRIES; i++) {
		if (tfp_next_name(t.buf + t.name_off) < 0)
			break;
		r = probe_named(t.buf);
		if (r == 0 || errno != EEXIST)
			break;
	}
	free(t.buf);
	return r;
}

char *tempfile_get_default_tempdir(void)
{
	char **list = tempfile_candidate_tempdir_list();
	char *found = NULL;
	size_t i;

	if (!list)
		return NULL;
	for (i = 0; list[i] && !found; i++) {
		found = tfp_abspath(list[i]);
		if (found && probe_dir(found) < 0) {
			free(found);
			found = NULL;
		}
	}
	tempfile_strv_free(list);
	if (!found)
		errno = ENOENT;
	return found;
}

const char *tempfile_gettempdir(void)
{
	const char *dir = atomic_load_explicit(&tempdir, memory_order_acquire);
	const char *mine;
	char *probed;

	if (dir)
		return dir;
	/* Threads that race to the first use may each probe, which is
	 * harmless; the first to publish wins and all return its choice. */
	if (!(probed = tempfile_get_default_tempdir()))
		return NULL;
	mine = intern(probed);
	free(probed);
	if (!mine)
		return NULL;
	if (atomic_compare_exchange_strong_explicit(&tempdir, &dir, mine,
	        memory_order_acq_rel, memory_order_acquire))
		return mine;
	return dir;
}

const char *tfp_tempdir_get(size_t *clean_len)
{
	const char *dir = tempfile_gettempdir();

	if (dir)
		*clean_len = node_of(dir)->clean_len;
	return dir;
}

int tempfile_settempdir(const char *dir)
{
	if (dir && !*dir) {
		errno = EINVAL;
		return -1;
	}
	return publish(&tempdir, dir);
}

const char *tempfile_gettempprefix(void)
{
	const char *p = atomic_load_explicit(&prefix, memory_order_acquire);

	return p ? p : default_prefix;
}

const char *tfp_prefix_get(size_t *len)
{
	const char *p = atomic_load_explicit(&prefix, memory_order_acquire);

	if (!p) {
		*len = sizeof default_prefix - 1;
		return default_prefix;
	}
	*len = node_of(p)->len;
	return p;
}

int tempfile_settempprefix(const char *pfx)
{
	if (tfp_check_affix(pfx) < 0)
		return -1;
	return publish(&prefix, pfx);
}
