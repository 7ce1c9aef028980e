/* What the file system under a descriptor is known to promise, from its
 * type (fstatfs()).  Each answer is 0 where the type is unknown or cannot
 * be read: the caller then takes the way that needs no promise.  One system
 * call, no allocation: async-signal-safe, as rmtree.c needs. */
#include "internal.h"

#if defined HAVE_FSTATFS && defined HAVE_SYS_VFS_H
# include <sys/vfs.h>
#endif

#define EXT4_MAGIC  0xEF53UL     /* and ext2's, ext3's */
#define XFS_MAGIC   0x58465342UL
#define BTRFS_MAGIC 0x9123683EUL
#define TMPFS_MAGIC 0x01021994UL
#define RAMFS_MAGIC 0x858458F6UL

/* fd's file system type, or 0. */
static unsigned long fs_type(int fd)
{
#if defined HAVE_FSTATFS && defined HAVE_SYS_VFS_H
	struct statfs sf;

	if (fstatfs(fd, &sf) == 0)
		return (unsigned long)sf.f_type & 0xffffffffUL;
#else
	TFP_UNUSED(fd);
#endif
	return 0;
}

/* The file systems known to keep a directory's positions (d_off) where
 * they are while entries go: ext2/3/4, XFS, Btrfs, tmpfs (within one open
 * file, at any version).  NFS, FUSE and CIFS may number entries by count:
 * removing the first batch's then moves the rest before the next read. */
int tfp_positions_stable(int fd)
{
	switch (fs_type(fd)) {
	case EXT4_MAGIC:
	case XFS_MAGIC:
	case BTRFS_MAGIC:
	case TMPFS_MAGIC:
		return 1;
	}
	return 0;
}

/* The file systems whose files are memory: reading back what was just
 * written there is a copy between pages, with no disk or server that
 * could fail it or take it away meanwhile. */
int tfp_fs_in_memory(int fd)
{
	unsigned long t = fs_type(fd);

	return t == TMPFS_MAGIC || t == RAMFS_MAGIC;
}
