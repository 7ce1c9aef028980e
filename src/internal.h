/*
 * Private helpers shared by the units of libtempfile.  Everything here has
 * hidden visibility (the build uses -fvisibility=hidden and a version
 * script); the tfp_ prefix marks it as internal.
 */
#ifndef TFP_INTERNAL_H
#define TFP_INTERNAL_H

#include "config.h"

#include <fcntl.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "tempfile.h"

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

/* ---- random.c and the random_*.c backends ---- */

/* Fills buf with n bytes from the OS's cryptographic generator. */
int tfp_random_bytes(void *buf, size_t n);
/* The same from /dev/urandom; every backend's fallback. */
int tfp_urandom_bytes(void *buf, size_t n);

/* ---- namegen.c ---- */

/* Writes TEMPFILE_NAME_LEN characters (no NUL) from the shared sequence. */
int tfp_next_name(char *out);

/* Test hook: when set, tfp_next_name() takes its names from here. */
extern int (*tfp_name_hook)(char *out);

/* ---- fdutil.c ---- */

/* Makes a freshly opened fd conform to the contract: close-on-exec (where
 * O_CLOEXEC was unavailable) and above 2.  Returns the fd to use, or closes
 * fd and returns -1 with errno. */
int tfp_fd_settle(int fd);
/* Sets FD_CLOEXEC on fd. */
int tfp_set_cloexec(int fd);

/* ---- path.c ---- */

/* malloc()ed current directory, or NULL with errno. */
char *tfp_getcwd(void);
/* os.path.abspath(): absolute, lexically normalised; NULL with errno. */
char *tfp_abspath(const char *path);
/* malloc()ed "dir/name" (no doubled '/'), or NULL with ENOMEM. */
char *tfp_path_join(const char *dir, const char *name);
/* 0 if s may be a prefix or suffix (NULL or no '/'), else -1 with EINVAL. */
int tfp_check_affix(const char *s);
/* getenv() that ignores the environment in setuid programs where it can. */
const char *tfp_getenv(const char *name);
/* lstat(), or stat() where there is no lstat(). */
int tfp_lstat(const char *path, struct stat *st);

/* ---- mkstemp.c ---- */

/* A name to create: buf holds "[dir/]prefix XXXXXXXX suffix" with the
 * random part at buf + name_off; name points at the final component. */
struct tfp_template {
	char *buf;
	size_t name_off;
	const char *name;
};

/* Fills t for dir (NULL: no directory part, for the *at functions; "" or a
 * path: made absolute) after checking prefix and suffix.  Frees nothing on
 * failure; on success t->buf must be freed. */
int tfp_template_init(struct tfp_template *t, const char *suffix,
                      const char *prefix, const char *dir, int use_default_dir);

/* Tries random names in t until create(dirfd, t->buf, arg) succeeds or fails
 * with anything but EEXIST. */
int tfp_create_unique(int dirfd, struct tfp_template *t,
                      int (*create)(int dirfd, const char *path, int arg), int arg);

/* The create functions tfp_create_unique() takes. */
int tfp_create_file(int dirfd, const char *path, int flags);
int tfp_create_dir(int dirfd, const char *path, int unused);

/* ---- atexit.c: cleanup at exit() and on fatal signals ---- */

struct tfp_exit_slot;

/* Registers a file (dirfd -1) or a directory tree (dirfd open on it) for
 * removal when the process exits or dies of SIGINT, SIGTERM, SIGHUP or
 * SIGPIPE, by the process that registered it only.  path must stay valid
 * and unchanged until tfp_exit_unregister().  NULL with errno on failure. */
struct tfp_exit_slot *tfp_exit_register(const char *path, int dirfd);

/* Ends a registration (NULL is ignored).  Returns 1 if
 * tempfile_cleanup_all() had already removed the entry, else 0. */
int tfp_exit_unregister(struct tfp_exit_slot *slot);

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
	union {
		char buf[1024];
		unsigned long long align;
	} u;
};

/* Starts a pass over the entries of the directory open as dirfd, from the
 * first one ("." and ".." included).  0, or -1 with errno. */
int tfp_dirents_open(struct tfp_dirents *it, int dirfd);

/* The next entry: 1 with *name (valid until the next call) and *maybe_dir
 * (0 only for an entry known not to be a directory), 0 at the end, or -1
 * with errno. */
int tfp_dirents_next(struct tfp_dirents *it, const char **name, int *maybe_dir);

/* Ends a pass started by a successful tfp_dirents_open(). */
void tfp_dirents_close(struct tfp_dirents *it);

/* ---- rmtree.c: removal through directory descriptors ---- */

/* Removes everything inside the directory open as dirfd (which stays).
 * Never follows a symbolic link, never leaves the tree; entries whose
 * permissions forbid removal are made removable.  Async-signal-safe where
 * configure found getdents64.  Returns 0, or -1 with the first errno met
 * after removing all it could. */
int tfp_rmtree_contents(int dirfd);

/* Removes the directory open as dirfd: its owner permissions restored, its
 * contents, then path, if path still names that directory.  A tree someone
 * already removed is not an error.  Async-signal-safe like
 * tfp_rmtree_contents(). */
int tfp_rmtree(int dirfd, const char *path);

#endif /* TFP_INTERNAL_H */
