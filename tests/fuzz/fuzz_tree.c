/* Fuzz target: trees of random shapes (depth, hard links, symbolic links
 * leading inside and outside, FIFOs, sockets, modes down to 0000) built
 * in a tempfile_dir_new() directory, then removed by its cleanup, which
 * must leave nothing and change nothing outside: a sentinel directory
 * beside it, which links lead to, stays exactly as it was. */
#include "fuzz.h"
#include "tempfile.h"

#include <fcntl.h>
#include <unistd.h>

#define MAX_ENTRIES 64

struct tree {
	int root;                  /* our own descriptor on the directory */
	char *dirs[MAX_ENTRIES];   /* relative to root; "." first */
	int n_dirs;
	char *files[MAX_ENTRIES];
	int outside[MAX_ENTRIES];  /* files[i] is a hard link to a sentinel file */
	int n_files;
	unsigned serial;
	const char *sentinel;      /* absolute path */
};

static const char *const sentinel_files[] = { "s0", "s1", "s2", "sd/s3" };

static void make_sentinel(const char *path)
{
	static const struct { const char *name; mode_t mode; } e[] = {
		{ "s0", 0644 }, { "s1", 0 }, { "s2", 0444 }, { "sd/s3", 0600 },
	};
	size_t i;
	char *p;

	FZ_CHECK(mkdir(path, 0755) == 0);
	p = fz_join(path, "sd");
	FZ_CHECK(mkdir(p, 0755) == 0);
	free(p);
	for (i = 0; i < sizeof e / sizeof *e; i++) {
		int fd;

		p = fz_join(path, e[i].name);
		FZ_CHECK((fd = open(p, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0);
		FZ_CHECK(write(fd, e[i].name, strlen(e[i].name)) == (ssize_t)strlen(e[i].name));
		FZ_CHECK(close(fd) == 0 && chmod(p, e[i].mode) == 0);
		free(p);
	}
	p = fz_join(path, "fifo");
	FZ_CHECK(mkfifo(p, 0600) == 0);
	free(p);
}

/* A descriptor on a tracked directory, or -1 (one made 0000 may be out
 * of reach). */
static int open_dir(const struct tree *t, int i)
{
	return openat(t->root, t->dirs[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
}

static char *new_name(struct tree *t, char kind)
{
	char name[16];

	snprintf(name, sizeof name, "%c%u", kind, t->serial++);
	return strdup(name);
}

static char *rel(const char *dir, const char *name)
{
	return strcmp(dir, ".") ? fz_join(dir, name) : strdup(name);
}

static void track(char **list, int *n, char *path)
{
	if (path && *n < MAX_ENTRIES)
		list[(*n)++] = path;
	else
		free(path);
}

/* A symbolic link's target: outside (the sentinel, its files, above the
 * tree), inside, or nowhere. */
static char *link_target(struct fz_in *in, const struct tree *t, int depth)
{
	static const char *const fixed[] = { ".", "..", "/", "nowhere", "../../../../../.." };
	unsigned k = fz_u8(in) % 6;
	char *s, *up;
	int i;

	switch (k) {
	case 0: return strdup(t->sentinel);
	case 1: return fz_join(t->sentinel, sentinel_files[fz_u8(in) % 4]);
	case 2: /* relative, climbing out of the tree to the sentinel */
		up = strdup("..");
		for (i = 0; i < depth; i++) {
			s = fz_join(up, "..");
			free(up);
			up = s;
		}
		s = fz_join(up, "sentinel");
		free(up);
		return s;
	case 3: return strdup(t->n_files ? t->files[fz_u8(in) % t->n_files] : "x");
	case 4: return fz_join(t->sentinel, "sd");
	default: return strdup(fixed[fz_u8(in) % 5]);
	}
}

static int depth_of(const char *path)
{
	int d = 0;

	if (!strcmp(path, "."))
		return 0;
	for (d = 1; *path; path++)
		d += *path == '/';
	return d;
}

static void write_some(int fd, unsigned n)
{
	char b[256];

	memset(b, 'x', sizeof b);
	FZ_CHECK(write(fd, b, n % sizeof b) == (ssize_t)(n % sizeof b));
}

/* A chain of n directories made through descriptors, with a file and a
 * link out at the bottom; with long names, deeper than PATH_MAX allows a
 * path to reach (17 levels of 250 characters). */
static void deep_chain(int pfd, unsigned n, int long_names)
{
	char name[251];
	int fd = dup(pfd), next;
	unsigned i;

	FZ_CHECK(fd >= 0);
	memset(name, 'd', sizeof name - 1);
	name[long_names ? sizeof name - 1 : 2] = 0;
	for (i = 0; i < n; i++) {
		if (mkdirat(fd, name, 0700) < 0 ||
		    (next = openat(fd, name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
			break;
		close(fd);
		fd = next;
	}
	next = openat(fd, "f", O_CREAT | O_WRONLY | O_CLOEXEC, 0600);
	if (next >= 0)
		close(next);
	(void)symlinkat("/", fd, "up");
	close(fd);
}

static void chmod_entry(struct fz_in *in, struct tree *t)
{
	static const mode_t modes[] = { 0, 0100, 0200, 0400, 0500, 0555, 0444, 0700, 01777, 04755, 0300 };
	mode_t mode = modes[fz_u8(in) % (sizeof modes / sizeof *modes)];
	unsigned k = fz_u8(in);

	if (k & 1 && t->n_files) {
		int i = (int)(k >> 1) % t->n_files;

		/* A hard link to a sentinel file is the sentinel file. */
		if (!t->outside[i])
			(void)fchmodat(t->root, t->files[i], mode, 0);
	} else if (t->n_dirs > 1) {
		(void)fchmodat(t->root, t->dirs[1 + (int)(k >> 1) % (t->n_dirs - 1)], mode, 0);
	} else if (k == 0xfe) {
		/* The top itself, rarely: most shapes are built below it. */
		(void)fchmodat(t->root, ".", mode, 0);
	}
}

static void build_op(struct fz_in *in, struct tree *t)
{
	unsigned op = fz_u8(in) % 12;
	int di = (int)(fz_u8(in) % (unsigned)t->n_dirs), pfd = open_dir(t, di), fd, i;
	char *name, *target;

	if (op == 10) {
		chmod_entry(in, t);
		op = 99;
	}
	if (pfd < 0)
		return;
	switch (op) {
	case 0: case 1:
		name = new_name(t, 'd');
		if (mkdirat(pfd, name, 0700) == 0)
			track(t->dirs, &t->n_dirs, rel(t->dirs[di], name));
		free(name);
		break;
	case 2: case 3:
		name = new_name(t, 'f');
		if ((fd = openat(pfd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600)) >= 0) {
			write_some(fd, fz_u8(in));
			close(fd);
			t->outside[t->n_files] = 0;
			track(t->files, &t->n_files, rel(t->dirs[di], name));
		}
		free(name);
		break;
	case 4: /* a hard link inside */
		if (!t->n_files)
			break;
		i = (int)(fz_u8(in) % (unsigned)t->n_files);
		name = new_name(t, 'h');
		if (linkat(t->root, t->files[i], pfd, name, 0) == 0) {
			t->outside[t->n_files] = t->outside[i];
			track(t->files, &t->n_files, rel(t->dirs[di], name));
		}
		free(name);
		break;
	case 5: /* a hard link to a file outside */
		target = fz_join(t->sentinel, sentinel_files[fz_u8(in) % 4]);
		name = new_name(t, 'o');
		if (linkat(AT_FDCWD, target, pfd, name, 0) == 0) {
			t->outside[t->n_files] = 1;
			track(t->files, &t->n_files, rel(t->dirs[di], name));
		}
		free(name);
		free(target);
		break;
	case 6:
		target = link_target(in, t, depth_of(t->dirs[di]));
		name = new_name(t, 'l');
		(void)symlinkat(target, pfd, name);
		free(name);
		free(target);
		break;
	case 7:
		name = new_name(t, 'p');
		(void)mkfifoat(pfd, name, 0600);
		free(name);
		break;
	case 8:
		name = new_name(t, 's');
		(void)mknodat(pfd, name, S_IFSOCK | 0600, 0);
		free(name);
		break;
	case 9:
		i = (int)fz_u8(in);
		deep_chain(pfd, i & 0x80 ? 17 + (unsigned)i % 8 : (unsigned)i % 40, i & 0x80);
		break;
	case 11: /* wide */
		for (i = (int)(fz_u8(in) % 64); i > 0; i--) {
			name = new_name(t, 'w');
			if ((fd = openat(pfd, name, O_CREAT | O_WRONLY | O_CLOEXEC, 0600)) >= 0)
				close(fd);
			free(name);
		}
		break;
	default:
		break;
	}
	close(pfd);
}

static void free_tree(struct tree *t)
{
	int i;

	for (i = 0; i < t->n_dirs; i++)
		free(t->dirs[i]);
	for (i = 0; i < t->n_files; i++)
		free(t->files[i]);
	close(t->root);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct fz_iter it;
	struct tree t;
	tempfile_dir *d;
	unsigned how, flags;
	char *sentinel, *before, *after, *name;
	struct stat st;
	int ops;

	fz_begin(&it);
	memset(&t, 0, sizeof t);
	sentinel = fz_join(it.dir, "sentinel");
	make_sentinel(sentinel);
	t.sentinel = sentinel;
	before = fz_snapshot(it.dir);
	how = fz_u8(&in);
	flags = how & 4 ? TEMPFILE_IGNORE_CLEANUP_ERRORS : 0;
	FZ_CHECK((d = tempfile_dir_new(NULL, NULL, it.dir, flags)) != NULL);
	FZ_CHECK((name = strdup(tempfile_dir_name(d))) != NULL);
	FZ_CHECK((t.root = open(name, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	track(t.dirs, &t.n_dirs, strdup("."));
	for (ops = 0; ops < 200 && fz_more(&in); ops++)
		build_op(&in, &t);
	free_tree(&t);
	if (how & 1) {
		FZ_CHECK(tempfile_dir_cleanup(d) == 0);
		FZ_CHECK(lstat(name, &st) < 0 && errno == ENOENT);
		FZ_CHECK(tempfile_dir_cleanup(d) == 0); /* again */
	}
	FZ_CHECK(tempfile_dir_close(d) == 0);
	FZ_CHECK(lstat(name, &st) < 0 && errno == ENOENT);
	/* Nothing left, nothing outside changed (modes, links, contents). */
	after = fz_snapshot(it.dir);
	if (strcmp(before, after)) {
		fprintf(stderr, "fuzz: before cleanup:%safter:%s", before, after);
		abort();
	}
	free(after);
	free(before);
	free(name);
	free(sentinel);
	fz_end(&it);
	return 0;
}
