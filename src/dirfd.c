/* What rmtree.c asks of a descriptor: what it is (mount roots included),
 * and giving its owner rwx through it, O_PATH descriptors included.  All
 * async-signal-safe: plain system calls, no allocation. */
#include "internal.h"

#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>
#ifdef HAVE_STATX
# include <sys/sysmacros.h>
#endif
#ifdef __linux__
# include <sys/syscall.h>
#endif

/* The Linux ABI values, for C libraries that predate them. */
#if defined(HAVE_STATX) && !defined(STATX_ATTR_MOUNT_ROOT)
# define STATX_ATTR_MOUNT_ROOT 0x00002000
#endif
#if defined(__linux__) && !defined(SYS_fchmodat2)
# define SYS_fchmodat2 452 /* the same on every architecture */
#endif

int tfp_chmod_no_proc;

/* Only the fields rmtree.c reads are filled in from statx(). */
int tfp_inspect(int fd, struct stat *st, int *mount_root)
{
#ifdef HAVE_STATX
	struct statx sx;

	/* statx() alone says whether fd is the root of a mount: a bind mount
	 * of the same file system has the same device. */
	if (statx(fd, "", AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW,
	          STATX_TYPE | STATX_MODE | STATX_INO | STATX_NLINK | STATX_UID |
	          STATX_GID, &sx) == 0) {
		memset(st, 0, sizeof *st);
		/* A straight assignment: the branch gcov counts here is the
		 * compiler's (makedev() inlined), excluded from coverage. */
		st->st_dev = makedev(sx.stx_dev_major, sx.stx_dev_minor); /* GCOVR_EXCL_BR_LINE */
		st->st_ino = sx.stx_ino;
		st->st_mode = sx.stx_mode;
		st->st_nlink = sx.stx_nlink;
		st->st_uid = sx.stx_uid;
		st->st_gid = sx.stx_gid;
		*mount_root = sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT ?
		              !!(sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) : -1;
		return 0;
	}
	if (errno != ENOSYS && errno != EINVAL)
		return -1;
#endif
	*mount_root = -1;
	return fstat(fd, st);
}

#ifdef HAVE_NAME_TO_HANDLE_AT
/* The id of the mount that name in dirfd is on, or -1.  The handle itself
 * is not wanted, but a buffer too small for it may not get the id. */
static int mount_id_at(int dirfd, const char *name)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int id;

	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(dirfd, name, &h.fh, &id, 0) < 0)
		return -1;
	return id;
}
#endif

int tfp_mount_point_at(int dirfd, const char *name)
{
#ifdef HAVE_NAME_TO_HANDLE_AT
	int here = mount_id_at(dirfd, "."), there;

	if (here >= 0 && (there = mount_id_at(dirfd, name)) >= 0)
		return here != there;
#else
	TFP_UNUSED(dirfd);
	TFP_UNUSED(name);
#endif
	return 0;
}

#ifdef HAVE_NAME_TO_HANDLE_AT
/* The file handle of fd, as much as id holds; none (0) where the file
 * system gives none.  Without AT_EMPTY_PATH, "." names fd's directory. */
static void handle_of(int fd, struct tfp_dir_id *id)
{
	union {
		struct file_handle fh;
		char buf[sizeof(struct file_handle) + MAX_HANDLE_SZ];
	} h;
	int mount_id;

	id->handle_len = 0;
	id->handle_type = 0;
	h.fh.handle_bytes = MAX_HANDLE_SZ;
	if (name_to_handle_at(fd, TFP_AT_EMPTY_PATH ? "" : ".", &h.fh, &mount_id,
	                      TFP_AT_EMPTY_PATH) < 0)
		return;
	id->handle_len = h.fh.handle_bytes;
	id->handle_type = h.fh.handle_type;
	memcpy(id->handle, h.fh.f_handle,
	       h.fh.handle_bytes < sizeof id->handle ? h.fh.handle_bytes : sizeof id->handle);
}
#else
static void handle_of(int fd, struct tfp_dir_id *id)
{
	TFP_UNUSED(fd);
	id->handle_len = 0;
	id->handle_type = 0;
}
#endif

/* tfp_dir_id_of(), with the status read on the way in *st. */
static int id_and_stat(int fd, struct tfp_dir_id *id, struct stat *st)
{
	int mount_root;

	memset(id, 0, sizeof *id);
	if (tfp_inspect(fd, st, &mount_root) < 0)
		return -1;
	id->node.dev = st->st_dev;
	id->node.ino = st->st_ino;
	handle_of(fd, id);
	return 0;
}

int tfp_dir_id_of(int fd, struct tfp_dir_id *id)
{
	struct stat st;

	return id_and_stat(fd, id, &st);
}

int tfp_dir_id_eq(const struct tfp_dir_id *a, const struct tfp_dir_id *b)
{
	size_t n;

	if (a->node.dev != b->node.dev || a->node.ino != b->node.ino)
		return 0;
	if (!a->handle_len || !b->handle_len)
		return 1;
	n = a->handle_len < sizeof a->handle ? a->handle_len : sizeof a->handle;
	return a->handle_len == b->handle_len && a->handle_type == b->handle_type &&
	       memcmp(a->handle, b->handle, n) == 0;
}

int tfp_dir_fd_is(int fd, const struct tfp_dir_id *id, struct stat *st)
{
	struct tfp_dir_id now;

	return id_and_stat(fd, &now, st) == 0 && tfp_dir_id_eq(&now, id);
}

/* fchmodat2(2) (Linux 6.6) with AT_EMPTY_PATH changes the very inode an
 * O_PATH descriptor holds, with no /proc; 0 once the kernel said ENOSYS
 * (atomic, relaxed: threads and signal handlers ask at once). */
#if defined(SYS_fchmodat2) && HAVE_DECL_AT_EMPTY_PATH
static atomic_int have_fchmodat2 = 1;
#endif

static int fchmodat2_fd(int fd, mode_t mode)
{
#if defined(SYS_fchmodat2) && HAVE_DECL_AT_EMPTY_PATH
	if (atomic_load_explicit(&have_fchmodat2, memory_order_relaxed)) {
		if (syscall(SYS_fchmodat2, fd, "", mode, AT_EMPTY_PATH) == 0)
			return 0;
		if (errno == ENOSYS)
			atomic_store_explicit(&have_fchmodat2, 0, memory_order_relaxed);
	}
#else
	TFP_UNUSED(fd);
	TFP_UNUSED(mode);
#endif
	return -1;
}

/* fchmod() refuses O_PATH descriptors on Linux.  Where there is no
 * fchmodat2, newer C libraries take AT_EMPTY_PATH in fchmodat() (glibc 2.36
 * does not); the /proc link works wherever /proc is mounted and names the
 * very inode the descriptor holds, not whatever a path names now. */
static int chmod_fd(int fd, mode_t mode)
{
	char proc[TFP_PROC_FD_PATH_SIZE];

	if (fchmodat2_fd(fd, mode) == 0 || fchmod(fd, mode) == 0)
		return 0;
	if (TFP_AT_EMPTY_PATH && fchmodat(fd, "", mode, TFP_AT_EMPTY_PATH) == 0)
		return 0;
	if (tfp_chmod_no_proc) {
		errno = EACCES;
		return -1;
	}
	tfp_proc_fd_path(proc, fd);
	return chmod(proc, mode);
}

int tfp_make_owner_rwx(int fd, mode_t mode)
{
	if ((mode & S_IRWXU) == S_IRWXU)
		return 0;
	return chmod_fd(fd, (mode & 07777) | S_IRWXU);
}
