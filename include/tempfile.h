/*
 * libtempfile: Python's tempfile module, in C.
 *
 * Conventions for every function below:
 * - Failure returns -1 (int, ssize_t, off_t) or NULL (pointers) and sets
 *   errno.  Success leaves errno unspecified.
 * - A NULL string argument means "the default" (Python's None).
 * - Every path returned is absolute and malloc()ed unless stated otherwise;
 *   release it with free().
 * - Every descriptor the library opens is close-on-exec and never 0, 1 or 2.
 * - Files are created 0600, directories 0700 (the umask can only narrow).
 * - prefix and suffix must not contain '/': EINVAL.  A name longer than the
 *   file system allows: ENAMETOOLONG.
 * - Global functions are thread-safe; an object is used by one thread at a
 *   time (the shared tempfile_candidate_names() sequence excepted).
 */
#ifndef TEMPFILE_H
#define TEMPFILE_H

#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#define TEMPFILE_VERSION_MAJOR 0
#define TEMPFILE_VERSION_MINOR 2
#define TEMPFILE_VERSION_MICRO 0

#if defined(TEMPFILE_BUILDING) && defined(__GNUC__)
# define TEMPFILE_API __attribute__((visibility("default")))
#else
# define TEMPFILE_API
#endif

#if defined(__GNUC__) && !defined(TEMPFILE_NO_DEPRECATED_WARNINGS)
# define TEMPFILE_DEPRECATED(msg) __attribute__((deprecated(msg)))
#else
# define TEMPFILE_DEPRECATED(msg)
#endif

/* The library is built with a 64-bit off_t; a program with a 32-bit one
 * would pass it half an offset.  Where off_t is 32 bits by default (glibc
 * on 32-bit systems), compile with -D_FILE_OFFSET_BITS=64, which
 * `pkg-config --cflags tempfile` adds. */
#if defined(__cplusplus) && __cplusplus >= 201103L
static_assert(sizeof(off_t) >= 8, "libtempfile needs a 64-bit off_t: compile with -D_FILE_OFFSET_BITS=64");
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
_Static_assert(sizeof(off_t) >= 8, "libtempfile needs a 64-bit off_t: compile with -D_FILE_OFFSET_BITS=64");
#else
typedef char tempfile_needs_64_bit_off_t[sizeof(off_t) >= 8 ? 1 : -1]; /* -D_FILE_OFFSET_BITS=64 */
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* Characters in a random name (Python 3 uses 8). */
#define TEMPFILE_NAME_LEN 8

/* Names tried by one call before it gives up with EEXIST. */
#ifdef TMP_MAX
# define TEMPFILE_TMP_MAX TMP_MAX
#else
# define TEMPFILE_TMP_MAX 10000
#endif

/* Flags for the object constructors (tempfile_named() ... tempfile_dir_new()). */
#define TEMPFILE_KEEP                  0x01u /* never delete (delete=False) */
#define TEMPFILE_APPEND                0x02u /* every write goes to the end */
#define TEMPFILE_CLEANUP_AT_EXIT       0x04u /* remove at exit() and on fatal signals */
#define TEMPFILE_IGNORE_CLEANUP_ERRORS 0x08u /* directories: best effort cleanup */

/* Flags for tempfile_persist(), tempfile_persistat() and tempfile_replace(). */
#define TEMPFILE_NOCLOBBER 0x01u /* fail with EEXIST instead of replacing */
#define TEMPFILE_DURABLE   0x02u /* fsync data, name and directory */
#define TEMPFILE_PRESERVE  0x04u /* the replaced file's mode and owner, or a new file's */
#define TEMPFILE_FOLLOW    0x08u /* replace what a symbolic link leads to, keep the link */

typedef struct tempfile_names tempfile_names;
typedef struct tempfile tempfile;
typedef struct tempfile_dir tempfile_dir;

/* ---- Version ---------------------------------------------------------- */

/* The library's version as "MAJOR.MINOR.MICRO", for the library actually
 * loaded (which may differ from the TEMPFILE_VERSION_* of the header the
 * program was compiled with).  Static storage; never NULL. */
TEMPFILE_API const char *tempfile_version(void);

/* ---- Random names (Python's _RandomNameSequence) ---------------------- */

/* A new sequence of random names.  Each name is TEMPFILE_NAME_LEN characters
 * from [a-z0-9_], unbiased, from the operating system's cryptographic
 * generator (its bytes keying ChaCha20 in user space, as arc4random does);
 * a child process, however made, never repeats its parent's names.
 * Returns NULL with errno ENOMEM on failure.  Free with tempfile_names_free(). */
TEMPFILE_API tempfile_names *tempfile_names_new(void);

/* Writes the next name and a terminating NUL into buf.  Returns 0, or -1 with
 * errno ERANGE when size < TEMPFILE_NAME_LEN + 1, EINVAL when names or buf is
 * NULL, or an errno from the random source (which should never fail). */
TEMPFILE_API int tempfile_names_next(tempfile_names *names, char *buf, size_t size);

/* Frees a sequence from tempfile_names_new().  NULL and the shared sequence
 * are ignored. */
TEMPFILE_API void tempfile_names_free(tempfile_names *names);

/* The process-wide sequence the library itself draws from (Python's
 * _get_candidate_names()).  Safe to use from several threads at once; never
 * freed.  Never NULL. */
TEMPFILE_API tempfile_names *tempfile_candidate_names(void);

/* ---- Directories and prefix ------------------------------------------- */

/* The directories tried for the default, in order: $TMPDIR, $TEMP, $TMP
 * (skipped when unset or empty; read with secure_getenv() where available),
 * /tmp, /var/tmp, /usr/tmp, then the current directory ("." if getcwd()
 * fails).  Entries are as found, not normalised.  NULL-terminated; free with
 * tempfile_strv_free().  NULL with ENOMEM on failure. */
TEMPFILE_API char **tempfile_candidate_tempdir_list(void);

/* Probes the candidates now and returns the first in which a file can be
 * created exclusively, written and removed, absolute and normalised like
 * os.path.abspath() (symbolic links are kept).  Caches nothing and leaves no
 * file behind.  NULL with ENOENT when no candidate is usable. */
TEMPFILE_API char *tempfile_get_default_tempdir(void);

/* The directory used when dir is NULL: the value set by
 * tempfile_settempdir(), else the default directory, probed on first use and
 * remembered for the life of the process.  The string stays valid until the
 * process exits, even if another thread changes the setting; do not free it.
 * NULL with ENOENT when no candidate is usable. */
TEMPFILE_API const char *tempfile_gettempdir(void);

/* Python's `tempfile.tempdir = dir`: dir is used as given (not probed, not
 * normalised) until changed.  NULL forgets the setting, so that the next use
 * probes again.  Returns 0, or -1 with EINVAL for "" and ENOMEM. */
TEMPFILE_API int tempfile_settempdir(const char *dir);

/* The prefix used when prefix is NULL ("tmp" unless changed).  Valid until
 * the process exits; do not free it. */
TEMPFILE_API const char *tempfile_gettempprefix(void);

/* Sets the default prefix (Python's `tempfile.template`); NULL restores
 * "tmp".  Returns 0, or -1 with EINVAL when prefix contains '/' and ENOMEM. */
TEMPFILE_API int tempfile_settempprefix(const char *prefix);

/* Frees a NULL-terminated string vector; NULL is ignored. */
TEMPFILE_API void tempfile_strv_free(char **strv);

/* ---- mkstemp, mkdtemp, mktemp ----------------------------------------- */

/* Creates and opens dir/prefix NAME suffix with O_RDWR|O_CREAT|O_EXCL|
 * O_NOFOLLOW|O_CLOEXEC plus flags (0 or O_APPEND, O_SYNC, O_DSYNC, O_DIRECT,
 * O_NOATIME; anything else is EINVAL), mode 0600.  Returns the descriptor
 * (never 0, 1 or 2); if path is not NULL, *path receives the absolute,
 * malloc()ed path.  suffix NULL is "", prefix NULL is tempfile_gettempprefix(),
 * dir NULL is tempfile_gettempdir().  Only EEXIST moves on to the next name;
 * after TEMPFILE_TMP_MAX names, EEXIST.  The caller removes the file. */
TEMPFILE_API int tempfile_mkstemp(const char *suffix, const char *prefix,
                                  const char *dir, int flags, char **path);

/* Creates the directory dir/prefix NAME suffix with mode 0700 and returns
 * its absolute path.  Defaults and retries as tempfile_mkstemp(). */
TEMPFILE_API char *tempfile_mkdtemp(const char *suffix, const char *prefix,
                                    const char *dir);

/* Returns an absolute name that did not exist when checked, creating
 * nothing.  Another process may create it before the caller does: use
 * tempfile_mkstemp() or tempfile_mkdtemp() instead. */
TEMPFILE_API TEMPFILE_DEPRECATED("racy: use tempfile_mkstemp or tempfile_mkdtemp")
char *tempfile_mktemp(const char *suffix, const char *prefix, const char *dir);

/* tempfile_mkstemp() relative to the directory descriptor dirfd (or
 * AT_FDCWD).  If name is not NULL, *name receives the malloc()ed entry name
 * inside dirfd (not a path). */
TEMPFILE_API int tempfile_mkstempat(int dirfd, const char *suffix,
                                    const char *prefix, int flags, char **name);

/* tempfile_mkdtemp() relative to dirfd.  Returns 0; if name is not NULL,
 * *name receives the malloc()ed entry name inside dirfd. */
TEMPFILE_API int tempfile_mkdtempat(int dirfd, const char *suffix,
                                    const char *prefix, char **name);

/* Creates something else under a unique name in dirfd (or AT_FDCWD): tries
 * names prefix NAME suffix, calling create(dirfd, name, arg) for each, until
 * create returns >= 0 (returned) or fails with an errno other than EEXIST
 * and EADDRINUSE (returned at once); after TEMPFILE_TMP_MAX names, EEXIST.
 * For Unix sockets (bind(2): EADDRINUSE), FIFOs (mkfifoat(3)), symbolic
 * links (symlinkat(2)), hard links (linkat(2)).  create must fail with
 * EEXIST or EADDRINUSE when the name is taken and create nothing then.  If
 * name is not NULL, *name receives the malloc()ed entry name (not a path)
 * after a success.  create NULL: EINVAL. */
TEMPFILE_API int tempfile_mkunique(int dirfd, const char *suffix, const char *prefix,
                                   int (*create)(int dirfd, const char *name, void *arg),
                                   void *arg, char **name);

/* ---- File objects ----------------------------------------------------- */

/* NamedTemporaryFile: a file created as by tempfile_mkstemp() that is
 * removed by tempfile_close() unless flags has TEMPFILE_KEEP (or it was
 * persisted).  flags: TEMPFILE_KEEP, TEMPFILE_APPEND,
 * TEMPFILE_CLEANUP_AT_EXIT.  NULL with errno on failure (nothing created). */
TEMPFILE_API tempfile *tempfile_named(const char *suffix, const char *prefix,
                                      const char *dir, unsigned flags);

/* TemporaryFile: a file with no name in any directory (O_TMPFILE where the
 * kernel and file system allow it, else created and unlinked before this
 * returns).  prefix and suffix are checked and used only by the fallback. */
TEMPFILE_API tempfile *tempfile_unnamed(const char *suffix, const char *prefix,
                                        const char *dir, unsigned flags);

/* SpooledTemporaryFile: data stays in memory until a write or truncate takes
 * it past max_size bytes (0: never by size), or until tempfile_fileno() or
 * tempfile_rollover(); then it moves to a tempfile_unnamed() file in dir,
 * keeping contents and position. */
TEMPFILE_API tempfile *tempfile_spooled(size_t max_size, const char *suffix,
                                        const char *prefix, const char *dir,
                                        unsigned flags);

/* The descriptor of tf, after flushing the stream; a spooled file rolls
 * over to disk first.  -1 with EBADF after tempfile_closefd(). */
TEMPFILE_API int tempfile_fileno(tempfile *tf);

/* The absolute path of a named file, owned by tf; NULL (errno unchanged) for
 * unnamed and spooled files. */
TEMPFILE_API const char *tempfile_name(const tempfile *tf);

/* A stdio stream on the same file, created on first call and owned by tf
 * (never fclose() it; tempfile_closefd() and tempfile_close() flush and
 * close it).  The stream and the direct calls below share one file
 * position.  Each direct call first flushes the stream, so stream output is
 * never lost or reordered, and starts where the stream is (characters
 * pushed back with ungetc() included); after direct calls, fseek() (or rewind()) the
 * stream before using it again, as C asks between reads and writes anyway.
 * For named and unnamed files the stream reads a duplicate descriptor
 * (close-on-exec, above 2).  For a spooled file it reads and writes through
 * the spool and rolls it over when its writes pass max_size (its fileno()
 * is -1); where the C library has neither fopencookie() nor funopen(), the
 * spooled file rolls over to disk first instead.  The stream is
 * byte-oriented from the start (fwide() < 0).  NULL with errno on failure,
 * EBADF after tempfile_closefd(). */
TEMPFILE_API FILE *tempfile_stream(tempfile *tf);

/* read(2), write(2), lseek(2) and ftruncate(2) for every kind of file,
 * including a spooled file still in memory. */
TEMPFILE_API ssize_t tempfile_read(tempfile *tf, void *buf, size_t n);
TEMPFILE_API ssize_t tempfile_write(tempfile *tf, const void *buf, size_t n);
TEMPFILE_API off_t tempfile_seek(tempfile *tf, off_t offset, int whence);
TEMPFILE_API int tempfile_truncate(tempfile *tf, off_t size);

/* Moves a spooled file to disk now (0; a no-op for other kinds). */
TEMPFILE_API int tempfile_rollover(tempfile *tf);

/* 1 if tf is on disk (always, except a spooled file still in memory), else 0. */
TEMPFILE_API int tempfile_rolled(const tempfile *tf);

/* Gives tf the permanent name path and stops it being deleted.  Replacing an
 * existing path is atomic: path names the old file or the new, never a
 * partial one.  The file placed is the one tf holds, even if its temporary
 * name was removed or replaced meanwhile (then its contents are copied);
 * every kind of file crosses file systems (copied into a new file beside
 * path, then renamed into place): never EXDEV.  path is resolved by the
 * kernel, never shortened lexically ("link/../x" lands where the kernel
 * says); tempfile_name() then returns it absolute.  Persisting onto another
 * hard link of the same file leaves one name, path.  flags:
 *   TEMPFILE_NOCLOBBER  EEXIST instead of replacing an existing path;
 *   TEMPFILE_DURABLE    the data, the new entry (through the directory
 *                       descriptor that received it) and a named file's old
 *                       directory reach stable storage before it returns;
 *   TEMPFILE_PRESERVE   where path exists, its permission bits and, as far
 *                       as permitted, owner and group (owner first, so that a
 *                       set-id bit survives only with its owner or group);
 *                       else the mode open(path, O_CREAT, 0666) would give
 *                       (umask, default ACL); without it the file stays 0600;
 *   TEMPFILE_FOLLOW     where path is a symbolic link, replace the file the
 *                       chain leads to (ELOOP after 40 links) and keep the
 *                       link (tempfile_name() is then that file's path);
 *                       without it the link itself is replaced.
 * On failure tf is unchanged and usable, except when only a flush after the
 * file was in place failed: the file is then at path, tf counts as
 * persisted, and -1 is returned.  Side files made beside path are removed
 * at exit and on the fatal signals while they exist. */
TEMPFILE_API int tempfile_persist(tempfile *tf, const char *path, unsigned flags);

/* tempfile_persist() with name relative to the directory descriptor dirfd
 * (or AT_FDCWD).  tempfile_name() afterwards is the directory's path (from
 * /proc/self/fd) joined with name where name is relative. */
TEMPFILE_API int tempfile_persistat(tempfile *tf, int dirfd, const char *name,
                                    unsigned flags);

/* ---- Replacing a file atomically -------------------------------------- */

/* Starts a replacement of path: a new, empty file in path's directory (or,
 * with TEMPFILE_FOLLOW, in the directory of the file a link at path leads
 * to), written and read like any tempfile (tempfile_write(),
 * tempfile_stream(), ...), which tempfile_commit() puts at path.  It is
 * unnamed (O_TMPFILE) where possible, else a hidden file ".tmpXXXXXXXX"
 * that is removed at exit and on the fatal signals whatever happens, and
 * whose name tempfile_name() returns.  flags: TEMPFILE_NOCLOBBER,
 * TEMPFILE_DURABLE, TEMPFILE_FOLLOW (TEMPFILE_PRESERVE is always implied).
 * NULL with errno: ENOENT when path's directory does not exist, EINVAL for
 * a NULL path or another flag. */
TEMPFILE_API tempfile *tempfile_replace(const char *path, unsigned flags);

/* Puts tf's file at the path given to tempfile_replace(), with its flags
 * and TEMPFILE_PRESERVE, then closes and frees tf, whatever the outcome.
 * On failure path is untouched (the old file, or nothing) and the new file
 * is gone; as for tempfile_persist(), a failed flush after the file is in
 * place is the one exception.  tempfile_close() without a commit abandons
 * the replacement.  EINVAL for an object tempfile_replace() did not make,
 * EBADF after tempfile_closefd(); tf is freed in every case. */
TEMPFILE_API int tempfile_commit(tempfile *tf);

/* Replaces path with the len bytes at data: tempfile_replace(), writing
 * it all, tempfile_commit().  EINVAL for data NULL with len > 0. */
TEMPFILE_API int tempfile_write_file(const char *path, const void *data, size_t len,
                                     unsigned flags);

/* Flushes and closes tf, removes its file unless kept or persisted, and
 * frees tf, even when a step fails (then -1).  A file already removed by
 * someone else is not an error.  NULL is ignored (0). */
TEMPFILE_API int tempfile_close(tempfile *tf);

/* Closes the descriptor and stream now but keeps tf, its name and its file
 * (Python's delete_on_close=False).  Later I/O fails with EBADF;
 * tempfile_persist() of a named file still works; tempfile_close() still
 * removes the file and frees tf. */
TEMPFILE_API int tempfile_closefd(tempfile *tf);

/* A new descriptor on tf's file with its own file offset (starting at 0),
 * close-on-exec, never 0-2; the caller closes it.  flags: O_RDONLY, O_WRONLY
 * or O_RDWR, optionally | O_APPEND; anything else EINVAL.  The stream is
 * flushed first and a spooled file rolls over to disk.  A named file is
 * opened by its name, checked to be the very file tf holds (device and
 * inode); where the name was removed or now leads elsewhere, and for
 * unnamed and spooled files, it is reopened through /proc/thread-self/fd
 * (or /proc/self/fd on kernels before 3.17).  -1 with
 * ESTALE for a named file whose name no longer leads to it where there is
 * no /proc, ENOTSUP for an unnamed or spooled one; EBADF after
 * tempfile_closefd() (and for NULL). */
TEMPFILE_API int tempfile_reopen(tempfile *tf, int flags);

/* From now on tf's file is not removed by tempfile_close() nor at exit or
 * on a fatal signal, as if tf had been made with TEMPFILE_KEEP (Python's
 * delete=False decided late).  An unnamed or spooled file has no name to
 * keep: its data still goes with its descriptor (tempfile_persist() gives
 * it one).  Returns 0; -1 with EINVAL for NULL. */
TEMPFILE_API int tempfile_keep(tempfile *tf);

/* Removes every file and directory registered with TEMPFILE_CLEANUP_AT_EXIT
 * now.  Async-signal-safe: call it from your own fatal-signal handler.  The
 * objects stay valid to close afterwards. */
TEMPFILE_API void tempfile_cleanup_all(void);

/* ---- Temporary directories -------------------------------------------- */

/* TemporaryDirectory: creates a directory as tempfile_mkdtemp() does.
 * flags: TEMPFILE_KEEP, TEMPFILE_CLEANUP_AT_EXIT,
 * TEMPFILE_IGNORE_CLEANUP_ERRORS. */
TEMPFILE_API tempfile_dir *tempfile_dir_new(const char *suffix, const char *prefix,
                                            const char *dir, unsigned flags);

/* Its absolute path, owned by d. */
TEMPFILE_API const char *tempfile_dir_name(const tempfile_dir *d);

/* An O_DIRECTORY descriptor on it, owned by d (for the *at() calls): do
 * not close it.  closedir() closes what fdopendir() was given, so give
 * fdopendir() a dup() of it.  (A descriptor closed all the same is noticed:
 * cleanup never acts on whatever reuses the number.) */
TEMPFILE_API int tempfile_dir_fd(const tempfile_dir *d);

/* Removes the whole tree now, through directory descriptors: it never
 * follows a symbolic link and never leaves the tree.  Entries whose
 * permissions forbid removal are made removable.  A mount point inside is
 * left with its contents (EBUSY).  Any depth.  Can be called again.
 * With TEMPFILE_IGNORE_CLEANUP_ERRORS it always returns 0. */
TEMPFILE_API int tempfile_dir_cleanup(tempfile_dir *d);

/* Cleans up unless kept, and frees d (even on failure, then -1).  NULL is
 * ignored (0). */
TEMPFILE_API int tempfile_dir_close(tempfile_dir *d);

/* From now on d's directory is not removed by tempfile_dir_close() nor at
 * exit or on a fatal signal, as if d had been made with TEMPFILE_KEEP
 * (tempfile_dir_cleanup() still empties it when called).  Returns 0; -1
 * with EINVAL for NULL. */
TEMPFILE_API int tempfile_dir_keep(tempfile_dir *d);

#ifdef __cplusplus
}
#endif

#endif /* TEMPFILE_H */
