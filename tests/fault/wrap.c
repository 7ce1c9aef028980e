/*
 * The wrapped functions (see fault.h).  Each __real_NAME is declared weak:
 * a name that this C library lacks or the library does not call links all
 * the same, and its wrapper is never called.  Types are spelled as the
 * library's own calls see them, built like it with _FILE_OFFSET_BITS=64.
 */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <fcntl.h>

#include "fault.h"

/* --wrap applies to the whole link, ThreadSanitizer's runtime too: its
 * start-up calls pthread_atfork() before it can trace a function entry.
 * Under it, nothing here is instrumented (clang). */
#if defined(__has_feature)
# if __has_feature(thread_sanitizer)
#  pragma clang attribute push(__attribute__((disable_sanitizer_instrumentation)), apply_to = function)
#  define WRAP_UNTRACED 1
# endif
#endif

static long fault_k, fault_n;
static int fault_err, fault_on, fault_paused;
static const char *fault_name, *fault_only;

void fault_arm_call(const char *name, long k, int err)
{
	fault_arm(k, err);
	fault_only = name;
}

void fault_arm(long k, int err)
{
	fault_only = NULL;
	fault_k = k;
	fault_err = err;
	fault_n = 0;
	fault_name = NULL;
	fault_paused = 0;
	fault_on = 1;
}

int fault_disarm(void)
{
	fault_on = 0;
	return fault_name != NULL;
}

long fault_count(void)
{
	return fault_n;
}

const char *fault_hit(void)
{
	return fault_name;
}

void fault_pause(void)
{
	fault_paused++;
}

void fault_resume(void)
{
	fault_paused--;
}

enum kind { CALL, ALLOC, XFER };

/* Whether this call is the one to fail. */
static int hit(const char *name, enum kind kind)
{
	if (!fault_on || fault_paused || (fault_only && strcmp(name, fault_only)))
		return 0;
	if (fault_err == FAULT_SHORT ? kind != XFER : kind == ALLOC && fault_err != ENOMEM)
		return 0;
	if (++fault_n != fault_k)
		return 0;
	fault_name = name;
	return 1;
}

/* Fails the call: -1 (or what fail gives) with the chosen errno. */
#define FAIL(name, kind, fail) do { \
	if (hit(#name, kind)) { \
		errno = fault_err; \
		return fail; \
	} \
} while (0)

/* A transfer: half of n under FAULT_SHORT, a failure otherwise. */
#define XFER_FAIL(name, n) do { \
	if (hit(#name, XFER)) { \
		if (fault_err != FAULT_SHORT) { \
			errno = fault_err; \
			return -1; \
		} \
		if ((n) > 1) \
			(n) /= 2; \
	} \
} while (0)

/* ---- Allocation, with a table of what is live for the leak count ---- */

#define TRACK_SLOTS 8192
static void *live[TRACK_SLOTS];
static int tracking;
static size_t n_live;

void fault_track_start(void)
{
	size_t i;

	for (i = 0; i < TRACK_SLOTS; i++)
		live[i] = NULL;
	n_live = 0;
	tracking = 1;
}

size_t fault_track_live(void)
{
	return n_live;
}

static size_t slot_of(const void *p)
{
	return (size_t)(((uintptr_t)p >> 4) * UINT64_C(0x9e3779b97f4a7c15) >> 20) % TRACK_SLOTS;
}

static void track(void *p)
{
	size_t i, j;

	if (!tracking || !p)
		return;
	for (i = slot_of(p), j = 0; j < TRACK_SLOTS; i = (i + 1) % TRACK_SLOTS, j++)
		if (!live[i]) {
			live[i] = p;
			n_live++;
			return;
		}
}

static void untrack(const void *p)
{
	size_t i, j;

	if (!tracking || !p)
		return;
	for (i = slot_of(p), j = 0; j < TRACK_SLOTS; i = (i + 1) % TRACK_SLOTS, j++)
		if (live[i] == p) {
			live[i] = NULL;
			n_live--;
			return;
		}
}

#define REAL(ret, name, args) extern ret __real_##name args __attribute__((weak)); \
	ret __wrap_##name args; \
	ret __wrap_##name args
/* For what glibc puts in libc_nonshared.a: a weak reference would not pull
 * it out of the archive. */
#define REAL_STRONG(ret, name, args) extern ret __real_##name args; \
	ret __wrap_##name args; \
	ret __wrap_##name args

REAL(void *, malloc, (size_t n))
{
	void *p;

	FAIL(malloc, ALLOC, NULL);
	p = __real_malloc(n);
	track(p);
	return p;
}

REAL(void *, calloc, (size_t n, size_t size))
{
	void *p;

	FAIL(calloc, ALLOC, NULL);
	p = __real_calloc(n, size);
	track(p);
	return p;
}

REAL(void *, realloc, (void *old, size_t n))
{
	void *p;

	FAIL(realloc, ALLOC, NULL);
	p = __real_realloc(old, n);
	if (p || n == 0)
		untrack(old);
	track(p);
	return p;
}

REAL(char *, strdup, (const char *s))
{
	char *p;

	FAIL(strdup, ALLOC, NULL);
	p = __real_strdup(s);
	track(p);
	return p;
}

REAL(char *, strndup, (const char *s, size_t n))
{
	char *p;

	FAIL(strndup, ALLOC, NULL);
	p = __real_strndup(s, n);
	track(p);
	return p;
}

REAL(void, free, (void *p))
{
	untrack(p);
	__real_free(p);
}

REAL(void *, mmap64, (void *addr, size_t len, int prot, int flags, int fd, off_t off))
{
	FAIL(mmap64, CALL, MAP_FAILED);
	return __real_mmap64(addr, len, prot, flags, fd, off);
}

REAL(void *, mmap, (void *addr, size_t len, int prot, int flags, int fd, off_t off))
{
	FAIL(mmap, CALL, MAP_FAILED);
	return __real_mmap(addr, len, prot, flags, fd, off);
}

REAL(int, madvise, (void *addr, size_t len, int advice))
{
	FAIL(madvise, CALL, -1);
	return __real_madvise(addr, len, advice);
}

/* ---- Descriptors ---- */

/* Whether open(2) flags take a mode argument. */
static int takes_mode(int flags)
{
#ifdef O_TMPFILE
	if ((flags & O_TMPFILE) == O_TMPFILE)
		return 1;
#endif
	return (flags & O_CREAT) != 0;
}

#define MODE_ARG(flags, mode) do { \
	if (takes_mode(flags)) { \
		va_list ap; \
		va_start(ap, flags); \
		mode = va_arg(ap, unsigned); \
		va_end(ap); \
	} \
} while (0)

REAL(int, open64, (const char *path, int flags, ...))
{
	unsigned mode = 0;

	MODE_ARG(flags, mode);
	FAIL(open64, CALL, -1);
	return __real_open64(path, flags, mode);
}

REAL(int, open, (const char *path, int flags, ...))
{
	unsigned mode = 0;

	MODE_ARG(flags, mode);
	FAIL(open, CALL, -1);
	return __real_open(path, flags, mode);
}

REAL(int, openat64, (int dirfd, const char *path, int flags, ...))
{
	unsigned mode = 0;

	MODE_ARG(flags, mode);
	FAIL(openat64, CALL, -1);
	return __real_openat64(dirfd, path, flags, mode);
}

/* What _FORTIFY_SOURCE makes of an open without O_CREAT whose flags the
 * compiler cannot see (Debian's build flags): counted as the open. */
REAL(int, __open_2, (const char *path, int flags))
{
	FAIL(open, CALL, -1);
	return __real___open_2(path, flags);
}

REAL(int, __open64_2, (const char *path, int flags))
{
	FAIL(open64, CALL, -1);
	return __real___open64_2(path, flags);
}

REAL(int, __openat_2, (int dirfd, const char *path, int flags))
{
	FAIL(openat, CALL, -1);
	return __real___openat_2(dirfd, path, flags);
}

REAL(int, __openat64_2, (int dirfd, const char *path, int flags))
{
	FAIL(openat64, CALL, -1);
	return __real___openat64_2(dirfd, path, flags);
}

REAL(int, openat, (int dirfd, const char *path, int flags, ...))
{
	unsigned mode = 0;

	MODE_ARG(flags, mode);
	FAIL(openat, CALL, -1);
	return __real_openat(dirfd, path, flags, mode);
}

/* close() releases the descriptor whatever it returns (Linux, POSIX 2024). */
REAL(int, close, (int fd))
{
	int r = __real_close(fd);

	FAIL(close, CALL, -1);
	return r;
}

REAL(int, dup, (int fd))
{
	FAIL(dup, CALL, -1);
	return __real_dup(fd);
}

REAL(int, dup2, (int fd, int to))
{
	FAIL(dup2, CALL, -1);
	return __real_dup2(fd, to);
}

REAL(int, dup3, (int fd, int to, int flags))
{
	FAIL(dup3, CALL, -1);
	return __real_dup3(fd, to, flags);
}

#define VOID_ARG(last, arg) do { \
	va_list ap; \
	va_start(ap, last); \
	arg = va_arg(ap, void *); \
	va_end(ap); \
} while (0)

REAL(int, fcntl64, (int fd, int cmd, ...))
{
	void *arg;

	VOID_ARG(cmd, arg);
	FAIL(fcntl64, CALL, -1);
	return __real_fcntl64(fd, cmd, arg);
}

REAL(int, fcntl, (int fd, int cmd, ...))
{
	void *arg;

	VOID_ARG(cmd, arg);
	FAIL(fcntl, CALL, -1);
	return __real_fcntl(fd, cmd, arg);
}

REAL(int, ioctl, (int fd, unsigned long req, ...))
{
	void *arg;

	VOID_ARG(req, arg);
	FAIL(ioctl, CALL, -1);
	return __real_ioctl(fd, req, arg);
}

REAL(long, syscall, (long nr, ...))
{
	long a[6];
	va_list ap;
	int i;

	va_start(ap, nr);
	for (i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);
	FAIL(syscall, CALL, -1);
	return __real_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* ---- Data ---- */

REAL(ssize_t, read, (int fd, void *buf, size_t n))
{
	XFER_FAIL(read, n);
	return __real_read(fd, buf, n);
}

REAL(ssize_t, __read_chk, (int fd, void *buf, size_t n, size_t size))
{
	XFER_FAIL(read, n);
	return __real___read_chk(fd, buf, n, size);
}

REAL(ssize_t, write, (int fd, const void *buf, size_t n))
{
	XFER_FAIL(write, n);
	return __real_write(fd, buf, n);
}

REAL(ssize_t, pread64, (int fd, void *buf, size_t n, off_t off))
{
	XFER_FAIL(pread64, n);
	return __real_pread64(fd, buf, n, off);
}

REAL(ssize_t, pread, (int fd, void *buf, size_t n, off_t off))
{
	XFER_FAIL(pread, n);
	return __real_pread(fd, buf, n, off);
}

REAL(ssize_t, __pread64_chk, (int fd, void *buf, size_t n, off_t off, size_t size))
{
	XFER_FAIL(pread64, n);
	return __real___pread64_chk(fd, buf, n, off, size);
}

REAL(off_t, lseek64, (int fd, off_t off, int whence))
{
	FAIL(lseek64, CALL, -1);
	return __real_lseek64(fd, off, whence);
}

REAL(off_t, lseek, (int fd, off_t off, int whence))
{
	FAIL(lseek, CALL, -1);
	return __real_lseek(fd, off, whence);
}

REAL(int, ftruncate64, (int fd, off_t size))
{
	FAIL(ftruncate64, CALL, -1);
	return __real_ftruncate64(fd, size);
}

REAL(int, ftruncate, (int fd, off_t size))
{
	FAIL(ftruncate, CALL, -1);
	return __real_ftruncate(fd, size);
}

REAL(int, fsync, (int fd))
{
	FAIL(fsync, CALL, -1);
	return __real_fsync(fd);
}

REAL(int, fdatasync, (int fd))
{
	FAIL(fdatasync, CALL, -1);
	return __real_fdatasync(fd);
}

REAL(ssize_t, getrandom, (void *buf, size_t n, unsigned flags))
{
	FAIL(getrandom, CALL, -1);
	return __real_getrandom(buf, n, flags);
}

REAL(ssize_t, getdents64, (int fd, void *buf, size_t n))
{
	FAIL(getdents64, CALL, -1);
	return __real_getdents64(fd, buf, n);
}

/* The readdir backend (no getdents64): fdopendir allocates, readdir reports
 * an error as NULL with errno set. */
REAL(DIR *, fdopendir, (int fd))
{
	FAIL(fdopendir, CALL, NULL);
	return __real_fdopendir(fd);
}

REAL(struct dirent *, readdir, (DIR *dir))
{
	FAIL(readdir, CALL, NULL);
	return __real_readdir(dir);
}

REAL(struct dirent64 *, readdir64, (DIR *dir))
{
	FAIL(readdir64, CALL, NULL);
	return __real_readdir64(dir);
}

/* ---- Metadata ---- */

REAL(int, fstat64, (int fd, struct stat *st))
{
	FAIL(fstat64, CALL, -1);
	return __real_fstat64(fd, st);
}

REAL(int, fstat, (int fd, struct stat *st))
{
	FAIL(fstat, CALL, -1);
	return __real_fstat(fd, st);
}

REAL(int, stat64, (const char *path, struct stat *st))
{
	FAIL(stat64, CALL, -1);
	return __real_stat64(path, st);
}

REAL(int, stat, (const char *path, struct stat *st))
{
	FAIL(stat, CALL, -1);
	return __real_stat(path, st);
}

REAL(int, lstat64, (const char *path, struct stat *st))
{
	FAIL(lstat64, CALL, -1);
	return __real_lstat64(path, st);
}

REAL(int, lstat, (const char *path, struct stat *st))
{
	FAIL(lstat, CALL, -1);
	return __real_lstat(path, st);
}

REAL(int, fstatat64, (int dirfd, const char *path, struct stat *st, int flags))
{
	FAIL(fstatat64, CALL, -1);
	return __real_fstatat64(dirfd, path, st, flags);
}

REAL(int, fstatat, (int dirfd, const char *path, struct stat *st, int flags))
{
	FAIL(fstatat, CALL, -1);
	return __real_fstatat(dirfd, path, st, flags);
}

struct statfs;
REAL(int, fstatfs, (int fd, struct statfs *st))
{
	FAIL(fstatfs, CALL, -1);
	return __real_fstatfs(fd, st);
}

struct statfs64;
REAL(int, fstatfs64, (int fd, struct statfs64 *st))
{
	FAIL(fstatfs64, CALL, -1);
	return __real_fstatfs64(fd, st);
}

struct statx;
REAL(int, statx, (int dirfd, const char *path, int flags, unsigned mask, struct statx *st))
{
	FAIL(statx, CALL, -1);
	return __real_statx(dirfd, path, flags, mask, st);
}

struct file_handle;
REAL(int, name_to_handle_at, (int dirfd, const char *path, struct file_handle *h,
                              int *mount_id, int flags))
{
	FAIL(name_to_handle_at, CALL, -1);
	return __real_name_to_handle_at(dirfd, path, h, mount_id, flags);
}

/* procfd.c asks once whether /proc/thread-self exists. */
REAL(int, access, (const char *path, int mode))
{
	FAIL(access, CALL, -1);
	return __real_access(path, mode);
}

REAL(ssize_t, readlinkat, (int dirfd, const char *path, char *buf, size_t n))
{
	FAIL(readlinkat, CALL, -1);
	return __real_readlinkat(dirfd, path, buf, n);
}

REAL(char *, getcwd, (char *buf, size_t n))
{
	FAIL(getcwd, CALL, NULL);
	return __real_getcwd(buf, n);
}

REAL(char *, __getcwd_chk, (char *buf, size_t n, size_t size))
{
	FAIL(getcwd, CALL, NULL);
	return __real___getcwd_chk(buf, n, size);
}

REAL(int, chmod, (const char *path, mode_t mode))
{
	FAIL(chmod, CALL, -1);
	return __real_chmod(path, mode);
}

REAL(int, fchmod, (int fd, mode_t mode))
{
	FAIL(fchmod, CALL, -1);
	return __real_fchmod(fd, mode);
}

REAL(int, fchmodat, (int dirfd, const char *path, mode_t mode, int flags))
{
	FAIL(fchmodat, CALL, -1);
	return __real_fchmodat(dirfd, path, mode, flags);
}

REAL(int, fchown, (int fd, uid_t uid, gid_t gid))
{
	FAIL(fchown, CALL, -1);
	return __real_fchown(fd, uid, gid);
}

REAL(int, fchownat, (int dirfd, const char *path, uid_t uid, gid_t gid, int flags))
{
	FAIL(fchownat, CALL, -1);
	return __real_fchownat(dirfd, path, uid, gid, flags);
}

/* ---- Names ---- */

REAL(int, mkdir, (const char *path, mode_t mode))
{
	FAIL(mkdir, CALL, -1);
	return __real_mkdir(path, mode);
}

REAL(int, mkdirat, (int dirfd, const char *path, mode_t mode))
{
	FAIL(mkdirat, CALL, -1);
	return __real_mkdirat(dirfd, path, mode);
}

REAL(int, unlink, (const char *path))
{
	FAIL(unlink, CALL, -1);
	return __real_unlink(path);
}

REAL(int, unlinkat, (int dirfd, const char *path, int flags))
{
	FAIL(unlinkat, CALL, -1);
	return __real_unlinkat(dirfd, path, flags);
}

REAL(int, rmdir, (const char *path))
{
	FAIL(rmdir, CALL, -1);
	return __real_rmdir(path);
}

REAL(int, rename, (const char *from, const char *to))
{
	FAIL(rename, CALL, -1);
	return __real_rename(from, to);
}

REAL(int, renameat, (int fromdir, const char *from, int todir, const char *to))
{
	FAIL(renameat, CALL, -1);
	return __real_renameat(fromdir, from, todir, to);
}

REAL(int, renameat2, (int fromdir, const char *from, int todir, const char *to,
                      unsigned flags))
{
	FAIL(renameat2, CALL, -1);
	return __real_renameat2(fromdir, from, todir, to, flags);
}

REAL(int, link, (const char *from, const char *to))
{
	FAIL(link, CALL, -1);
	return __real_link(from, to);
}

REAL(int, linkat, (int fromdir, const char *from, int todir, const char *to, int flags))
{
	FAIL(linkat, CALL, -1);
	return __real_linkat(fromdir, from, todir, to, flags);
}

/* ---- Streams ---- */

REAL(FILE *, fdopen, (int fd, const char *mode))
{
	FAIL(fdopen, CALL, NULL);
	return __real_fdopen(fd, mode);
}

REAL(FILE *, fopencookie, (void *cookie, const char *mode, cookie_io_functions_t io))
{
	FAIL(fopencookie, CALL, NULL);
	return __real_fopencookie(cookie, mode, io);
}

REAL(int, fflush, (FILE *f))
{
	FAIL(fflush, CALL, EOF);
	return __real_fflush(f);
}

/* fclose() frees the stream whatever it returns. */
REAL(int, fclose, (FILE *f))
{
	int r = __real_fclose(f);

	FAIL(fclose, CALL, EOF);
	return r;
}

REAL(int, fseeko64, (FILE *f, off_t off, int whence))
{
	FAIL(fseeko64, CALL, -1);
	return __real_fseeko64(f, off, whence);
}

REAL(off_t, ftello64, (FILE *f))
{
	FAIL(ftello64, CALL, -1);
	return __real_ftello64(f);
}

/* ---- Process ---- */

REAL_STRONG(int, atexit, (void (*fn)(void)))
{
	if (hit("atexit", CALL))
		return -1;
	return __real_atexit(fn);
}

REAL_STRONG(int, pthread_atfork, (void (*prepare)(void), void (*parent)(void), void (*child)(void)))
{
	if (hit("pthread_atfork", CALL))
		return fault_err;
	return __real_pthread_atfork(prepare, parent, child);
}

REAL(int, nanosleep, (const struct timespec *req, struct timespec *rem))
{
	FAIL(nanosleep, CALL, -1);
	return __real_nanosleep(req, rem);
}

/* ---- ACLs (libacl; acl_t is a pointer) ---- */

REAL(void *, acl_get_file, (const char *path, unsigned type))
{
	FAIL(acl_get_file, CALL, NULL);
	return __real_acl_get_file(path, type);
}

REAL(int, acl_set_fd, (int fd, void *acl))
{
	FAIL(acl_set_fd, CALL, -1);
	return __real_acl_set_fd(fd, acl);
}

REAL(int, acl_get_entry, (void *acl, int id, void *entry))
{
	FAIL(acl_get_entry, CALL, -1);
	return __real_acl_get_entry(acl, id, entry);
}

#ifdef WRAP_UNTRACED
# pragma clang attribute pop
#endif
