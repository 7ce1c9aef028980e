/*
 * TEMPFILE_PRESERVE: the metadata a replacement takes over from the file
 * it replaces, or, where there is none, the metadata open(2) would give a
 * new file there (mode 0666 less the umask, or the directory's default ACL).
 *
 * The umask is read, never set: umask() changes it for every thread at
 * once, so "set it and put it back" races with threads creating files.
 */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef HAVE_ACL
# include <sys/acl.h>
#endif

/* The mode a new file is created with before the umask narrows it. */
#define NEW_FILE_MODE 0666
/* What is assumed where the umask cannot be read: the common default. */
#define ASSUMED_UMASK 022

const char *tfp_proc_status = "/proc/self/status";

/* The "Umask:" line of /proc/self/status (Linux 4.7 and later). */
static int umask_from_status(mode_t *mask)
{
	char buf[4096], *p, *end;
	ssize_t n = 0, r;
	int fd = open(tfp_proc_status, O_RDONLY | TFP_O_CLOEXEC);
	unsigned long v;

	if (fd < 0)
		return -1;
	while (n < (ssize_t)sizeof buf - 1 &&
	       (r = read(fd, buf + n, sizeof buf - 1 - (size_t)n)) != 0) {
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0)
			n += r;
	}
	close(fd);
	buf[n] = '\0';
	if (!(p = strstr(buf, "\nUmask:")))
		return -1;
	v = strtoul(p + 7, &end, 8);
	if (end == p + 7 || v > 0777)
		return -1;
	*mask = (mode_t)v;
	return 0;
}

static int create_probe(int dirfd, const char *name, int unused)
{
	TFP_UNUSED(unused);
	return tfp_fd_settle(openat(dirfd, name, TFP_CREATE_FLAGS,
	                            NEW_FILE_MODE));
}

/* Where the kernel does not say: the mode a file made in the directory
 * gets, which the kernel narrows by the umask.  Unnamed where possible,
 * else a hidden file, registered for cleanup while it exists. */
static int mode_from_probe(const struct tfp_target *t, mode_t *mode)
{
	struct tfp_side side;
	struct stat st;
	int fd = -1, r;

	if (TFP_O_TMPFILE && atomic_load_explicit(&tfp_tmpfile_works, memory_order_relaxed))
		fd = openat(t->dirfd, ".", O_WRONLY | TFP_O_TMPFILE | TFP_O_CLOEXEC, NEW_FILE_MODE);
	if (fd < 0) {
		if ((fd = tfp_side_create(t, &side, create_probe, 0)) < 0)
			return -1;
		tfp_side_discard(t, &side);
	}
	r = fstat(fd, &st);
	close(fd);
	if (r == 0)
		*mode = st.st_mode & 0777;
	return r;
}

static mode_t new_file_mode(const struct tfp_target *t)
{
	mode_t mask, mode;

	if (umask_from_status(&mask) == 0)
		return NEW_FILE_MODE & ~mask;
	if (mode_from_probe(t, &mode) == 0)
		return mode;
	return NEW_FILE_MODE & ~ASSUMED_UMASK;
}

#ifdef HAVE_ACL
/* Narrows the entries that stand for the mode bits as the kernel does
 * for a new file (posix_acl_create): with 0666, no one may execute. */
static int mask_acl(acl_t acl)
{
	acl_entry_t e;
	acl_tag_t tag;
	acl_permset_t ps;
	int r, has_mask = 0, pass;

	for (pass = 0; pass < 2; pass++)
		for (r = acl_get_entry(acl, ACL_FIRST_ENTRY, &e); r == 1;
		     r = acl_get_entry(acl, ACL_NEXT_ENTRY, &e)) {
			if (acl_get_tag_type(e, &tag) < 0)
				return -1;
			if (pass == 0) {
				has_mask |= tag == ACL_MASK;
				continue;
			}
			if (tag != ACL_USER_OBJ && tag != ACL_OTHER && tag != ACL_MASK &&
			    !(tag == ACL_GROUP_OBJ && !has_mask))
				continue;
			if (acl_get_permset(e, &ps) < 0 || acl_delete_perm(ps, ACL_EXECUTE) < 0 ||
			    acl_set_permset(e, ps) < 0)
				return -1;
		}
	return 0;
}

/* Gives fd the access ACL a new file in t's directory inherits from its
 * default ACL: 1, 0 where the directory has none, -1 with errno. */
static int inherit_acl(int fd, const struct tfp_target *t)
{
	char proc[TFP_PROC_FD_PATH_SIZE];
	acl_t acl;
	acl_entry_t e;
	int r;

	tfp_proc_fd_path(proc, t->dirfd);
	if (!(acl = acl_get_file(proc, ACL_TYPE_DEFAULT)) && errno == ENOENT)
		acl = acl_get_file(t->absdir, ACL_TYPE_DEFAULT);
	if (!acl)
		return errno == ENOTSUP || errno == ENOSYS ? 0 : -1;
	r = acl_get_entry(acl, ACL_FIRST_ENTRY, &e);
	if (r == 1)
		r = mask_acl(acl) < 0 || acl_set_fd(fd, acl) < 0 ? -1 : 1;
	acl_free(acl);
	return r;
}
#else
static int inherit_acl(int fd, const struct tfp_target *t)
{
	TFP_UNUSED(fd);
	TFP_UNUSED(t);
	return 0;
}
#endif

/* Owner and group of old, as far as this process may give them: root
 * both, others the group where they belong to it.  Refusals are no error. */
static int take_owner(int fd, const struct stat *old)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return -1;
	if (st.st_uid == old->st_uid && st.st_gid == old->st_gid)
		return 0;
	if (fchown(fd, old->st_uid, old->st_gid) == 0)
		return 0;
	if (errno != EPERM && errno != EINVAL)
		return -1;
	if (st.st_gid != old->st_gid && fchown(fd, (uid_t)-1, old->st_gid) < 0 &&
	    errno != EPERM && errno != EINVAL)
		return -1;
	return 0;
}

int tfp_preserve(int fd, const struct tfp_target *t, const struct stat *old)
{
	mode_t mode;
	struct stat st;
	int r;

	if (!old) {
		if ((r = inherit_acl(fd, t)) != 0)
			return r < 0 ? -1 : 0;
		return fchmod(fd, new_file_mode(t));
	}
	/* Owner first: chown clears the set-id bits, and a set-id bit may
	 * come back only with the owner or group it was set for. */
	if (take_owner(fd, old) < 0 || fstat(fd, &st) < 0)
		return -1;
	mode = old->st_mode & 07777;
	if (st.st_uid != old->st_uid)
		mode &= ~(mode_t)S_ISUID;
	if (st.st_gid != old->st_gid)
		mode &= ~(mode_t)S_ISGID;
	return fchmod(fd, mode);
}

void tfp_preserve_undo(int fd, const struct stat *orig)
{
	int saved = errno;
	struct stat st;

	if (fstat(fd, &st) == 0 && (st.st_uid != orig->st_uid || st.st_gid != orig->st_gid))
		(void)!fchown(fd, orig->st_uid, orig->st_gid);
	(void)!fchmod(fd, orig->st_mode & 07777);
	errno = saved;
}
