/*
 * Private helpers shared by the units of libtempfile.  Everything here has
 * hidden visibility (the build uses -fvisibility=hidden and a version
 * script); the tfp_ prefix marks it as internal.
 */
#ifndef TFP_INTERNAL_H
#define TFP_INTERNAL_H

#include "config.h"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "tempfile.h"

#ifndef NAME_MAX
# define NAME_MAX 255
#endif

/* A function of a hot path, inlined into each caller.  Not in coverage
 * builds (-DTFP_COVERAGE): gcov would count the branches of every inlined
 * copy apart, most of them unreachable from the caller they are in. */
#ifdef TFP_COVERAGE
# define TFP_HOT_INLINE static
#else
# define TFP_HOT_INLINE static inline __attribute__((always_inline))
#endif

/* open(2) flags configure may not have found are 0, so that code can use
 * them unconditionally and test for the fallback with a plain `if`. */
#if HAVE_DECL_O_CLOEXEC
# define TFP_O_CLOEXEC O_CLOEXEC
#else
# define TFP_O_CLOEXEC 0
#endif
#if HAVE_DECL_O_NOFOLLOW
# define TFP_O_NOFOLLOW O_NOFOLLOW
#else
# define TFP_O_NOFOLLOW 0
#endif
#if HAVE_DECL_O_DIRECTORY
# define TFP_O_DIRECTORY O_DIRECTORY
#else
# define TFP_O_DIRECTORY 0
#endif
#if HAVE_DECL_AT_EMPTY_PATH
# define TFP_AT_EMPTY_PATH AT_EMPTY_PATH
#else
# define TFP_AT_EMPTY_PATH 0
#endif
#ifdef O_PATH
# define TFP_O_PATH O_PATH
#else
# define TFP_O_PATH O_RDONLY
#endif
#if HAVE_DECL_O_TMPFILE
# define TFP_O_TMPFILE O_TMPFILE
#else
# define TFP_O_TMPFILE 0
#endif

/* The flags a caller may add to tempfile_mkstemp()'s. */
#define TFP_EXTRA_OPEN_FLAGS (O_APPEND | TFP_O_SYNC | TFP_O_DSYNC | TFP_O_DIRECT | TFP_O_NOATIME)
#ifdef O_SYNC
# define TFP_O_SYNC O_SYNC
#else
# define TFP_O_SYNC 0
#endif
#ifdef O_DSYNC
# define TFP_O_DSYNC O_DSYNC
#else
# define TFP_O_DSYNC 0
#endif
#ifdef O_DIRECT
# define TFP_O_DIRECT O_DIRECT
#else
# define TFP_O_DIRECT 0
#endif
#ifdef O_NOATIME
# define TFP_O_NOATIME O_NOATIME
#else
# define TFP_O_NOATIME 0
#endif

/* The flags every creation uses. */
#define TFP_CREATE_FLAGS (O_RDWR | O_CREAT | O_EXCL | TFP_O_NOFOLLOW | TFP_O_CLOEXEC)

#define TFP_UNUSED(x) ((void)(x))

/* The largest off_t (POSIX gives no OFF_MAX). */
#define TFP_OFF_MAX ((off_t)(((uintmax_t)1 << (sizeof(off_t) * CHAR_BIT - 1)) - 1))

/* ---- the random_*.c backends and urandom.c ---- */

/* Fills buf with n bytes from the OS's cryptographic generator. */
int tfp_random_bytes(void *buf, size_t n);
/* The same from /dev/urandom; every backend's fallback. */
int tfp_urandom_bytes(void *buf, size_t n);

/* ---- chacha.c and chacha_*.c: ChaCha20's keystream, for the names ---- */

#define TFP_CHACHA_KEY 32
#define TFP_CHACHA_FOUR 256 /* bytes in four blocks */

/* n bytes (a multiple of TFP_CHACHA_FOUR) of the keystream of key with
 * nonce 0, the block counter from 0, into out, which may overlap key. */
void tfp_chacha20(const unsigned char key[TFP_CHACHA_KEY], unsigned char *out, size_t n);
/* The backend (chacha_vector.c or chacha_scalar.c): the four blocks from
 * the 16 words of the state in (RFC 8439 2.3; the counter, in[12],
 * counting up by one a block) into out. */
void tfp_chacha20_four(const uint32_t in[16], unsigned char out[TFP_CHACHA_FOUR]);
/* Zeroes n bytes at p, even where they are never read again. */
void tfp_chacha20_wipe(void *p, size_t n);

/* The rounds, on words or on vectors of words alike. */
#define TFP_ROTL32(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define TFP_CHACHA_QR(a, b, c, d) \
	((a) += (b), (d) ^= (a), (d) = TFP_ROTL32(d, 16), \
	 (c) += (d), (b) ^= (c), (b) = TFP_ROTL32(b, 12), \
	 (a) += (b), (d) ^= (a), (d) = TFP_ROTL32(d, 8), \
	 (c) += (d), (b) ^= (c), (b) = TFP_ROTL32(b, 7))
#define TFP_CHACHA_DOUBLE_ROUND(x) \
	(TFP_CHACHA_QR(x[0], x[4], x[8], x[12]), TFP_CHACHA_QR(x[1], x[5], x[9], x[13]), \
	 TFP_CHACHA_QR(x[2], x[6], x[10], x[14]), TFP_CHACHA_QR(x[3], x[7], x[11], x[15]), \
	 TFP_CHACHA_QR(x[0], x[5], x[10], x[15]), TFP_CHACHA_QR(x[1], x[6], x[11], x[12]), \
	 TFP_CHACHA_QR(x[2], x[7], x[8], x[13]), TFP_CHACHA_QR(x[3], x[4], x[9], x[14]))

static inline uint32_t tfp_get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline void tfp_put_le32(unsigned char *p, uint32_t w)
{
	p[0] = (unsigned char)w;
	p[1] = (unsigned char)(w >> 8);
	p[2] = (unsigned char)(w >> 16);
	p[3] = (unsigned char)(w >> 24);
}

/* ---- procid.c: who this process is ---- */

/* A nonzero token that no other process has: a child gets a new one
 * however it was made (fork, _Fork, clone, syscall(SYS_fork)), also one
 * with its parent's pid in another pid namespace where the kernel has
 * MADV_WIPEONFORK.  0 with errno if none could be drawn. */
uint64_t tfp_process_token(void);
/* The token if this process has drawn one, else 0; never draws, never
 * allocates: async-signal-safe, for the exit handlers. */
uint64_t tfp_process_token_peek(void);

/* tfp_process_token() inline where it is cheapest: where the kernel wipes
 * the page, a load from it (the cell is NULL until set up, and in the
 * fallback). */
extern _Atomic uint64_t *_Atomic tfp_token_cell;
static inline uint64_t tfp_token_now(void)
{
	_Atomic uint64_t *cell = atomic_load_explicit(&tfp_token_cell, memory_order_acquire);
	uint64_t t;

	if (cell && (t = atomic_load_explicit(cell, memory_order_relaxed)) != 0)
		return t;
	return tfp_process_token();
}

/* Test hook: when set, called as tfp_process_token() starts setting up. */
extern void (*tfp_procid_init_hook)(void);

/* ---- namegen.c ---- */

/* Writes TEMPFILE_NAME_LEN characters (no NUL) from the shared sequence. */
int tfp_next_name(char *out);

/* Test hook: when set, tfp_next_name() takes its names from here. */
extern int (*tfp_name_hook)(char *out);

/* ---- tempdir.c ---- */

/* Test hook: when set, the default-directory probe removes its file with
 * this instead of unlink(). */
extern int (*tfp_probe_unlink_hook)(const char *path);

/* tempfile_gettempdir() (NULL with errno), and *clean_len what
 * tfp_clean_abs_len() says of it, worked out once per setting. */
const char *tfp_tempdir_get(size_t *clean_len);
/* tempfile_gettempprefix(), and its length. */
const char *tfp_prefix_get(size_t *len);

/* ---- fdutil.c ---- */

/* Makes a freshly opened fd conform to the contract: close-on-exec (where
 * O_CLOEXEC was unavailable) and above 2.  Returns the fd to use, or closes
 * fd and returns -1 with errno. */
int tfp_fd_settle(int fd);
/* Sets FD_CLOEXEC on fd. */
int tfp_set_cloexec(int fd);
/* dup(fd) as the contract wants it: close-on-exec, above 2. */
int tfp_dup(int fd);
/* dup2(fd, target), leaving target close-on-exec. */
int tfp_dup_onto(int fd, int target);
/* close(fd) for failure paths: errno stays the failure's. */
void tfp_close_keep_errno(int fd);

/* ---- procfd.c ---- */

/* Room for "/proc/thread-self/fd/" and any int. */
#define TFP_PROC_FD_PATH_SIZE (sizeof "/proc/thread-self/fd/" + 3 * sizeof(int))
/* The /proc link to the file the calling thread's descriptor fd holds:
 * /proc/thread-self/fd/N, or /proc/self/fd/N where the kernel has no
 * thread-self.  Async-signal-safe; keeps errno; fd >= 0. */
void tfp_proc_fd_path(char buf[TFP_PROC_FD_PATH_SIZE], int fd);

/* ---- path.c ---- */

/* malloc()ed current directory, or NULL with errno. */
char *tfp_getcwd(void);
/* os.path.abspath(): absolute, lexically normalised; NULL with errno. */
char *tfp_abspath(const char *path);
/* The length of dir if tfp_abspath() would return it unchanged (absolute,
 * normalised), else 0. */
size_t tfp_clean_abs_len(const char *dir);
/* malloc()ed "dir/name" (no doubled '/'), or NULL with ENOMEM. */
char *tfp_path_join(const char *dir, const char *name);
/* 0 if s may be a prefix or suffix (NULL or no '/'), else -1 with EINVAL. */
int tfp_check_affix(const char *s);
/* getenv() that ignores the environment in setuid programs where it can. */
const char *tfp_getenv(const char *name);
/* lstat(), or stat() where there is no lstat(). */
int tfp_lstat(const char *path, struct stat *st);

/* ---- mkstemp.c: a new entry's path, the one loop behind every
 * constructor, and the create functions ---- */

/* A name to create: buf holds "[dir/]prefix XXXXXXXX suffix" with the
 * random part at buf + name_off; name points at the final component. */
struct tfp_template {
	char *buf;
	size_t name_off;
	const char *name;
};

/* 0 if a name "prefix NAME suffix" (NULL prefix: the default one) may be
 * made: no '/' in either (EINVAL), no longer than NAME_MAX (ENAMETOOLONG).
 * For every constructor, also those that may never make a name. */
int tfp_check_name(const char *suffix, const char *prefix);

/* Fills t for dir (NULL: no directory part, for the *at functions; "" or a
 * path: made absolute) after checking prefix and suffix.  Frees nothing on
 * failure; on success t->buf must be freed. */
int tfp_template_init(struct tfp_template *t, const char *suffix,
                      const char *prefix, const char *dir, int use_default_dir);

/* tfp_template_init() and the name loop: an entry prefix NAME suffix in dir
 * (path_api: *out gets its absolute path, dir NULL the default) or in
 * dirfd (*out gets its name; dir unused).  out may be NULL. */
int tfp_unique_entry(int dirfd, const char *suffix, const char *prefix,
                     const char *dir, int path_api,
                     int (*create)(int dirfd, const char *path, void *arg),
                     void *arg, char **out);

/* Tries random names in t until create(dirfd, t->buf, arg) returns >= 0
 * (returned) or fails with anything but EEXIST and EADDRINUSE; after
 * TEMPFILE_TMP_MAX names, EEXIST. */
int tfp_create_unique(int dirfd, struct tfp_template *t,
                      int (*create)(int dirfd, const char *path, int arg), int arg);

/* The create functions tfp_create_unique() takes. */
int tfp_create_file(int dirfd, const char *path, int flags);
int tfp_create_dir(int dirfd, const char *path, int unused);

/* ---- atexit.c: cleanup at exit() and on fatal signals ---- */

struct tfp_exit_slot;

/* Creating an entry and registering it, so that no fatal signal can come
 * between (nor find the name before it is ours):
 *     tfp_block_fatal_signals(&old);
 *     slot = tfp_exit_reserve();     (NULL with errno: give up)
 *     ...create the file or directory; on failure tfp_exit_unregister(slot)
 *     tfp_exit_commit(slot, path, dirfd);
 *     tfp_restore_signals(&old);
 * The entry is removed when the process exits or dies of SIGINT, SIGTERM,
 * SIGHUP, SIGPIPE, SIGXCPU or SIGXFSZ, by the process that reserved it
 * only (not a child, whatever its pid).  A handler in another thread waits
 * for a reserved slot to be committed or unregistered.  Only with the
 * fatal signals blocked in this thread. */
struct tfp_exit_slot *tfp_exit_reserve(void);
/* The same for a reservation that may come while this thread holds
 * another one pending (the default-directory probe inside a constructor):
 * once the process is dying, fails with EINTR at once instead of waiting
 * for a death that the pending slot holds up. */
struct tfp_exit_slot *tfp_exit_reserve_nested(void);
/* A file (dirfd -1) or a directory tree (dirfd open on it) at path, which
 * must stay valid and unchanged until tfp_exit_unregister().  NULL slot:
 * nothing. */
void tfp_exit_commit(struct tfp_exit_slot *slot, const char *path, int dirfd);

/* Reserves and commits, the fatal signals blocked in between, for an entry
 * already created (with them blocked since).  NULL with errno on failure. */
struct tfp_exit_slot *tfp_exit_register(const char *path, int dirfd);

/* Takes the entry back to remove it: 0 if the caller is to remove it (a
 * handler in another thread waits until tfp_exit_unregister()), 1 if
 * tempfile_cleanup_all() already did (after waiting for one removing it
 * now).  With the fatal signals blocked; NULL gives 0. */
int tfp_exit_claim(struct tfp_exit_slot *slot);
/* Gives a slot claimed (0 above) back to the cleanup, live again, when the
 * removal or rename it was claimed for failed.  NULL: nothing. */
void tfp_exit_unclaim(struct tfp_exit_slot *slot);

/* Ends a registration (NULL is ignored; errno is kept).  Returns 1 if
 * tempfile_cleanup_all() had already removed the entry, else 0. */
int tfp_exit_unregister(struct tfp_exit_slot *slot);

/* Whether tempfile_cleanup_all() has removed the entry (0 for NULL). */
int tfp_exit_removed(const struct tfp_exit_slot *slot);

/* Blocks the six fatal signals above in this thread, so that the cleanup
 * handler cannot interrupt a creation or removal in progress; and back. */
void tfp_block_fatal_signals(sigset_t *old);
void tfp_restore_signals(const sigset_t *old);

/* ---- dirents_getdents.c or dirents_readdir.c: reading a directory ---- */

/* One pass over a directory's entries, its state on the caller's stack.
 * Each backend uses its own fields: the getdents64 one reads batches into
 * buf (no allocation: async-signal-safe), the readdir one keeps a DIR
 * (readdir allocates: not async-signal-safe).  A batch needs room for one
 * entry of NAME_MAX characters. */
struct tfp_dirents {
	int fd;
	void *dir;
	size_t pos, len;
	off_t at, next;         /* where the last entry starts, and the next */
	char *buf;              /* u.buf, or what tfp_dirents_use() gave */
	size_t size;
	char *next_buf;         /* tfp_dirents_use()'s, from the next batch */
	size_t next_size;
	unsigned batches;       /* read so far in this pass */
	union {
		char buf[1024];
		unsigned long long align;
	} u;
};

/* Starts a pass over the entries of the directory open as dirfd, from the
 * first one ("." and ".." included) if start is 0, else from the position
 * tfp_dirents_tell() gave (another descriptor on the same directory will
 * do).  0, or -1 with errno. */
int tfp_dirents_open(struct tfp_dirents *it, int dirfd, off_t start);

/* The next entry: 1 with *name (valid until the next call) and *maybe_dir
 * (0 only for an entry known not to be a directory), 0 at the end, or -1
 * with errno. */
int tfp_dirents_next(struct tfp_dirents *it, const char **name, int *maybe_dir);

/* Where the entry last returned starts, for a later pass to start there
 * (file systems with stable positions only: the caller checks); -1 where
 * the backend cannot say. */
off_t tfp_dirents_tell(const struct tfp_dirents *it);

/* Ends a pass started by a successful tfp_dirents_open(). */
void tfp_dirents_close(struct tfp_dirents *it);

/* From the next batch on (right after tfp_dirents_open(): all of them),
 * read the batches into buf, size bytes, aligned for any type, rather than
 * the iterator's own small one (which keeps a walk from a signal handler
 * within a small stack).  And how many batches the pass read, the last
 * (empty) one at the end included.  The readdir backend has its own
 * buffer: there the first does nothing and the second says 0. */
void tfp_dirents_use(struct tfp_dirents *it, void *buf, size_t size);
unsigned tfp_dirents_batches(const struct tfp_dirents *it);

/* ---- fstype.c: what a descriptor's file system promises ---- */

/* Whether fd's file system is known to keep directory positions in place
 * while entries are removed (0: unknown, or known not to). */
int tfp_positions_stable(int fd);
/* Whether fd's file system keeps its files in memory (tmpfs, ramfs). */
int tfp_fs_in_memory(int fd);

/* ---- dirfd.c: directories through their descriptors ---- */

/* An inode: what the walk checks its way back up by (a directory it holds
 * open, or whose child it holds open, keeps its number). */
struct tfp_inode {
	dev_t dev;
	ino_t ino;
};

/* Which directory a descriptor is on: what cleanup checks before it acts.
 * Once a directory is gone, a new one may get its inode number (ext4 gives
 * it to the next mkdir) and even its birth time (to the clock tick); the
 * file handle (name_to_handle_at(): inode and generation) tells them
 * apart, where the file system gives one (handle_len 0 where not). */
struct tfp_dir_id {
	struct tfp_inode node;
	unsigned handle_len;   /* bytes of the whole handle; handle holds the first */
	int handle_type;
	unsigned char handle[32];
};

/* fstat(fd), with *mount_root 1 if fd is the root of a mount, 0 if not, -1
 * if the system cannot say (statx() knows since Linux 5.8).  Never follows
 * a link fd holds. */
int tfp_inspect(int fd, struct stat *st, int *mount_root);
/* Whether name in dirfd is on another mount than dirfd, by mount ids, for
 * where tfp_inspect() cannot say (0 where the system cannot either: then
 * only a mount of another device shows). */
int tfp_mount_point_at(int dirfd, const char *name);
/* fd's identity: 0, or -1 with errno. */
int tfp_dir_id_of(int fd, struct tfp_dir_id *id);
/* Whether fd is open on the directory id (file handles compared where
 * both are known); *st gets fd's status where it could be read. */
int tfp_dir_fd_is(int fd, const struct tfp_dir_id *id, struct stat *st);
/* Whether two identities are of the same directory (the same comparison). */
int tfp_dir_id_eq(const struct tfp_dir_id *a, const struct tfp_dir_id *b);
/* Gives the owner rwx on the directory fd (O_PATH allowed) whose mode is
 * mode: fchmodat2(), fchmod(), fchmodat(AT_EMPTY_PATH), /proc/self/fd. */
int tfp_make_owner_rwx(int fd, mode_t mode);
/* Test hook: when set, the /proc/self/fd way is not tried. */
extern int tfp_chmod_no_proc;

/* ---- levels.c: what rmtree.c records per level of depth ---- */

struct tfp_level {
	struct tfp_inode id;   /* the directory at this depth */
	off_t resume;          /* where the entry last entered starts, or 0 */
	unsigned long kept;    /* entries this pass left, first in its listing */
	unsigned long rereads; /* left to this pass without positions; 0: unset */
	unsigned char removed; /* this pass removed something */
	unsigned char pass;
};

/* Depth 0 (the top) inline, the others in the structure while few, then in
 * mapped memory.  No allocation but mmap(): async-signal-safe. */
struct tfp_levels {
	struct tfp_level top;
	struct tfp_level *rec; /* depth d at rec[(d - 1) % cap] */
	size_t cap;
	size_t low;            /* shallowest depth > 0 still recorded */
	size_t mapped;         /* bytes mapped at rec, 0 for inline_rec */
	int wraps;             /* no more memory: the deepest cap are kept */
	struct tfp_level inline_rec[8];
};

void tfp_levels_init(struct tfp_levels *lv);
/* A zeroed record for depth (> 0), the deepest now; never NULL for depth > 0. */
struct tfp_level *tfp_levels_push(struct tfp_levels *lv, size_t depth);
/* The record of depth, or NULL if it was lost to wrapping. */
struct tfp_level *tfp_levels_at(struct tfp_levels *lv, size_t depth);
/* Forgets all but the top's (the walk starts again from it). */
void tfp_levels_reset(struct tfp_levels *lv);
void tfp_levels_free(struct tfp_levels *lv);
/* Test hook: when set, no memory is mapped (records wrap at 8). */
extern int tfp_levels_no_map;
/* size bytes of anonymous memory, async-signal-safe (mmap()), or NULL
 * (also under tfp_levels_no_map); and back.  NULL is let go as nothing. */
void *tfp_map_anon(size_t size);
void tfp_unmap_anon(void *p, size_t size);

/* ---- rmtree.c: removal through directory descriptors ---- */

/* Removes everything inside the directory open as dirfd (which stays).
 * Never follows a symbolic link, never leaves the tree, never enters
 * another mount (EBUSY); entries whose permissions forbid removal are made
 * removable.  Any depth, with constant stack and three descriptors at most.
 * Async-signal-safe where configure found getdents64.  Returns 0, or -1
 * with the first errno met after removing all it could. */
int tfp_rmtree_contents(int dirfd);

/* Removes the directory id: its owner permissions restored, its contents,
 * then itself, if its name (path's last component) in the directory that
 * holds it is still its own (an empty one goes at once, unread; the
 * contents go whatever became of the name).  It is reached through dirfd if that is still
 * open on it, else through path if that names it; else nothing is touched:
 * -1 with ESTALE.  A tree someone already removed is not an error; one
 * that kept moving under the walk is (ESTALE).  *through_dirfd (if not
 * NULL) gets whether dirfd was found open on id.  Async-signal-safe like
 * tfp_rmtree_contents(). */
int tfp_rmtree(int dirfd, const char *path, const struct tfp_dir_id *id, int *through_dirfd);

/* ---- The file object: wrapper.c, unnamed.c, spooled.c, stream_*.c,
 * persist.c ---- */

/* A spooled file's contents while in memory. */
struct tfp_spool {
	unsigned char *data;
	size_t size;   /* bytes of content */
	size_t cap;    /* bytes allocated */
	off_t pos;     /* may be past size, even past SIZE_MAX: a write there
	                * leaves zeros between (or rolls over) */
	int lost;      /* a failed rollover could not read back what it had
	                * given up: every access fails with EIO */
};

struct tempfile {
	int fd;                 /* -1 while in memory and after closefd */
	unsigned flags;         /* TEMPFILE_* constructor flags */
	int closed;             /* tempfile_closefd() was called */
	int linkable;           /* unnamed with O_TMPFILE: linkat() can name it */
	int persisted;
	char *name;             /* absolute path of a named or persisted file */
	dev_t dev;              /* a named file's identity, kept by closefd */
	ino_t ino;
	char *target;           /* tempfile_replace(): the path to commit to */
	unsigned target_flags;  /* and the persist flags for it */
	FILE *stream;
	struct tfp_exit_slot *exit_slot;
	/* Spooled files: spool is non-NULL until the rollover. */
	struct tfp_spool *spool;
	size_t max_size;
	char *suffix, *prefix, *dir; /* where the rollover creates the file */
};

/* wrapper.c: a new object with no file yet, after checking flags (EINVAL)
 * for what file constructors take. */
tempfile *tfp_object_new(unsigned flags);

/* read(2), write(2), lseek(2), ftruncate(2) on any kind of file, without
 * touching the stream: what the stream backends call. */
ssize_t tfp_io_read(tempfile *tf, void *buf, size_t n);
ssize_t tfp_io_write(tempfile *tf, const void *buf, size_t n);
off_t tfp_io_seek(tempfile *tf, off_t offset, int whence);

/* unnamed.c: a descriptor on a new file with no name in dir (NULL: the
 * default); *linkable says whether linkat() can give it one. */
int tfp_unnamed_fd(const char *suffix, const char *prefix, const char *dir,
                   unsigned flags, int *linkable);
/* An O_TMPFILE file in dir (relative to dirfd), opened with oflags: the
 * fd, -1 with errno where O_TMPFILE cannot be used there and now (fall
 * back), -2 with errno for a failure a fallback would repeat. */
int tfp_open_tmpfile(int dirfd, const char *dir, int oflags);
/* Whether O_TMPFILE is tried (cleared when the kernel turns out to lack
 * it; the tests clear it to exercise the fallback). */
extern atomic_int tfp_tmpfile_works;

/* spooled.c: the in-memory half of a spooled file.  The write and the
 * truncate fail with ENOMEM, the spool unchanged, when memory cannot hold
 * the result; the write takes n bytes at a position that size_t holds. */
ssize_t tfp_spool_read(struct tfp_spool *sp, void *buf, size_t n);
ssize_t tfp_spool_write(struct tfp_spool *sp, const void *buf, size_t n);
int tfp_spool_truncate(struct tfp_spool *sp, size_t size);
void tfp_spool_free(struct tfp_spool *sp);
/* Writes the spool's contents to fd and leaves fd at the spool's position. */
int tfp_spool_dump(const struct tfp_spool *sp, int fd);
/* Moves tf's spool to an unnamed file on disk (0 if already there). */
int tfp_spool_rollover(tempfile *tf);
/* The smallest spool whose rollover onto tmpfs gives memory back as it
 * goes (spooled.c); a test hook, 32 MiB. */
extern size_t tfp_spool_release_min;

/* stream_*.c: a stdio stream over a spooled file's tfp_io_* calls; where
 * the C library cannot make one, tf is rolled over and gets an fd stream. */
FILE *tfp_spool_stream(tempfile *tf);
/* fdutil.c: a stream on a duplicate of fd (shared offset), in append mode
 * if append. */
FILE *tfp_fd_stream(int fd, int append);

/* noreplace_*.c: renameat(2) that fails with EEXIST instead of replacing;
 * tfp_link_noreplace() is the link-and-unlink way, every backend's fallback. */
int tfp_rename_noreplace(int fromdir, const char *from, int todir, const char *to);
int tfp_link_noreplace(int fromdir, const char *from, int todir, const char *to);

/* ---- target.c: where persist and replace put a file ---- */

/* The directory that receives the entry, opened once and used for every
 * step after (link, rename, fsync), and the entry's name in it. */
struct tfp_target {
	int dirfd;
	char *base;
	char *absdir;  /* a path to that directory, ending in '/' */
};

/* Opens the directory of name (relative to dirfd, resolved by the kernel,
 * never lexically); with follow, through the chain of symbolic links name
 * leads through (ELOOP after 40).  0, or -1 with errno. */
int tfp_target_open(struct tfp_target *t, int dirfd, const char *name, int follow);
void tfp_target_close(struct tfp_target *t);
/* malloc()ed absdir + base. */
char *tfp_target_path(const struct tfp_target *t);

/* A hidden file beside a target, registered for cleanup at exit while it
 * exists.  name is its entry in the target's directory. */
struct tfp_side {
	char *path;
	const char *name;
	struct tfp_exit_slot *slot;
};

/* Makes a side entry with create(t->dirfd, name, arg) and registers it,
 * with the fatal signals held off in between.  create's result, or -1. */
int tfp_side_create(const struct tfp_target *t, struct tfp_side *side,
                    int (*create)(int dirfd, const char *name, int arg), int arg);
/* Renames the side entry to the target (noclobber: EEXIST rather than
 * replace), or removes it where that fails; unregisters it either way. */
int tfp_side_commit(const struct tfp_target *t, struct tfp_side *side, int noclobber);
/* Removes the side entry and unregisters it. */
void tfp_side_discard(const struct tfp_target *t, struct tfp_side *side);

/* ---- preserve.c: TEMPFILE_PRESERVE ---- */

/* Gives the file open as fd the metadata TEMPFILE_PRESERVE asks for: old's
 * mode, owner and group as far as permitted where the target exists (old
 * not NULL), else the mode and default ACL that open(2) with 0666 would
 * give a new file in the target's directory. */
int tfp_preserve(int fd, const struct tfp_target *t, const struct stat *old);
/* Puts back the mode, owner and group of orig, best effort. */
void tfp_preserve_undo(int fd, const struct stat *orig);
/* Where the umask is read (a test hook). */
extern const char *tfp_proc_status;

#endif /* TFP_INTERNAL_H */
