/* Shared by the fuzz targets: see fuzz.h. */
#include "fuzz.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <unistd.h>

#include "tempfile.h"

#define NOBODY 65534

static char *base;
static unsigned long iteration;

void fz_fail(const char *file, int line, const char *what, int err)
{
	fprintf(stderr, "%s:%d: check failed: %s (errno %d: %s)\n", file, line,
	        what, err, strerror(err));
	abort();
}

unsigned fz_u8(struct fz_in *in)
{
	if (in->n == 0)
		return 0;
	in->n--;
	return *in->p++;
}

unsigned fz_u16(struct fz_in *in)
{
	unsigned hi = fz_u8(in);

	return hi << 8 | fz_u8(in);
}

uint32_t fz_u32(struct fz_in *in)
{
	uint32_t hi = fz_u16(in);

	return hi << 16 | fz_u16(in);
}

uint64_t fz_u64(struct fz_in *in)
{
	uint64_t hi = fz_u32(in);

	return hi << 32 | fz_u32(in);
}

int fz_more(const struct fz_in *in)
{
	return in->n > 0;
}

size_t fz_bytes(struct fz_in *in, void *buf, size_t n)
{
	size_t k = n < in->n ? n : in->n;

	memcpy(buf, in->p, k);
	memset((char *)buf + k, 0, n - k);
	in->p += k;
	in->n -= k;
	return n;
}

char *fz_join(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 2);

	FZ_CHECK(s != NULL);
	memcpy(s, a, la);
	s[la] = '/';
	memcpy(s + la + 1, b, lb + 1);
	return s;
}

/* Removes name in dfd and everything below it; directories are made
 * 0700 first, so that a 0000 one can be read and emptied.  Passes repeat
 * until a directory is empty (removing while reading may skip entries). */
static int rm_at(int dfd, const char *name)
{
	struct stat st;
	struct dirent *e;
	DIR *d;
	int fd, removed;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -1;
	if (!S_ISDIR(st.st_mode))
		return unlinkat(dfd, name, 0);
	if (fchmodat(dfd, name, 0700, 0) < 0)
		return -1;
	fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	do {
		removed = 0;
		rewinddir(d);
		while ((e = readdir(d))) {
			if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
				continue;
			if (rm_at(dirfd(d), e->d_name) < 0) {
				closedir(d);
				return -1;
			}
			removed = 1;
		}
	} while (removed);
	closedir(d);
	return unlinkat(dfd, name, AT_REMOVEDIR);
}

int fz_rmtree(const char *path)
{
	return rm_at(AT_FDCWD, path);
}

static int not_dots(const struct dirent *e)
{
	return strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
}

int fz_count_entries(const char *dir)
{
	struct dirent **v;
	int n = scandir(dir, &v, not_dots, NULL), i;

	for (i = 0; i < n; i++)
		free(v[i]);
	if (n >= 0)
		free(v);
	return n;
}

int fz_count_fds(void)
{
	int n = fz_count_entries("/proc/self/fd");
	int fd, max;

	if (n >= 0)
		return n - 1; /* scandir's own */
	/* No /proc: ask each number (the limit, capped; fuzzing opens few). */
	max = (int)sysconf(_SC_OPEN_MAX);
	if (max < 0 || max > 65536)
		max = 65536;
	for (n = 0, fd = 0; fd < max; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

static int dropped;

/* As root again (the saved uid), to remove the base from wherever it is. */
static void remove_base(void)
{
	if (dropped && (seteuid(0) < 0 || setegid(0) < 0))
		fprintf(stderr, "fuzz: cannot become root again: %s\n", strerror(errno));
	if (base && fz_rmtree(base) < 0)
		fprintf(stderr, "fuzz: could not remove %s: %s\n", base, strerror(errno));
}

/* The effective ids only: the saved uid lets remove_base() back in. */
static void drop_root(void)
{
	if (geteuid() != 0 || getenv("FUZZ_AS_ROOT"))
		return;
	FZ_CHECK(chown(base, NOBODY, NOBODY) == 0);
	FZ_CHECK(setgroups(0, NULL) == 0);
	FZ_CHECK(setegid(NOBODY) == 0);
	FZ_CHECK(seteuid(NOBODY) == 0);
	dropped = 1;
	if (faccessat(AT_FDCWD, base, W_OK | X_OK, AT_EACCESS) < 0) {
		fprintf(stderr, "fuzz: %s is out of reach of uid %d: set TMPDIR to a "
		        "directory it can reach\n", base, NOBODY);
		exit(1);
	}
}

void fz_setup(void)
{
	const char *tmp = getenv("TMPDIR");

	if (base)
		return;
	base = fz_join(tmp && *tmp ? tmp : "/tmp", "tf-fuzz-XXXXXX");
	FZ_CHECK(mkdtemp(base) != NULL);
	FZ_CHECK(atexit(remove_base) == 0);
	drop_root();
	umask(022);
	FZ_CHECK(chdir(base) == 0);
	FZ_CHECK(tempfile_settempdir(base) == 0);
}

const char *fz_base(void)
{
	return base;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fz_setup();
	return 0;
}

void fz_begin(struct fz_iter *it)
{
	char name[32];

	fz_setup();
	snprintf(name, sizeof name, "i%lu", iteration++);
	it->dir = fz_join(base, name);
	FZ_CHECK(mkdir(it->dir, 0700) == 0);
	it->fds = fz_count_fds();
}

void fz_end(struct fz_iter *it)
{
	int fds = fz_count_fds();

	if (fds != it->fds) {
		fprintf(stderr, "fuzz: %d descriptors open after the iteration, %d before\n",
		        fds, it->fds);
		abort();
	}
	FZ_CHECK(fz_count_entries(base) == 1); /* only the iteration's directory */
	FZ_CHECK(fz_rmtree(it->dir) == 0);
	free(it->dir);
	it->dir = NULL;
}

void fz_check_file(const char *path, const void *want, size_t n)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	unsigned char buf[4096];
	size_t off = 0;
	ssize_t r;

	FZ_CHECK(fd >= 0);
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		FZ_CHECK(off + (size_t)r <= n);
		FZ_CHECK(memcmp(buf, (const unsigned char *)want + off, (size_t)r) == 0);
		off += (size_t)r;
	}
	FZ_CHECK(r == 0);
	FZ_CHECK(off == n);
	close(fd);
}

int fz_name_matches(const char *name, const char *prefix, const char *suffix)
{
	static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
	size_t lp, ls = suffix ? strlen(suffix) : 0, i;

	if (!prefix)
		prefix = tempfile_gettempprefix();
	lp = strlen(prefix);
	if (strlen(name) != lp + TEMPFILE_NAME_LEN + ls || strncmp(name, prefix, lp) ||
	    (ls && strcmp(name + lp + TEMPFILE_NAME_LEN, suffix)))
		return 0;
	for (i = 0; i < TEMPFILE_NAME_LEN; i++)
		if (!name[lp + i] || !strchr(alphabet, name[lp + i]))
			return 0;
	return 1;
}

/* ---- Snapshots of trees ---- */

struct lines {
	char **v;
	size_t n;
};

static uint64_t file_sum(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	uint64_t h = 14695981039346656037u;
	unsigned char b[4096];
	ssize_t r, i;

	if (fd < 0)
		return 0;
	while ((r = read(fd, b, sizeof b)) > 0)
		for (i = 0; i < r; i++)
			h = (h ^ b[i]) * 1099511628211u;
	close(fd);
	return h;
}

static void add_line(struct lines *l, const char *rel, int dfd, const char *name,
                     const struct stat *st)
{
	char line[8192];
	int n;

	/* Directories without their times: entries come and go in them. */
	n = snprintf(line, sizeof line, "%s %o %lu %lu %lld", rel, (unsigned)st->st_mode,
	             (unsigned long)st->st_ino, (unsigned long)st->st_nlink,
	             (long long)st->st_size);
	if (!S_ISDIR(st->st_mode))
		n += snprintf(line + n, sizeof line - (size_t)n, " %lld.%09ld %llx",
		              (long long)st->st_mtim.tv_sec, st->st_mtim.tv_nsec,
		              S_ISREG(st->st_mode) ? (unsigned long long)file_sum(dfd, name) : 0ull);
	FZ_CHECK(n > 0 && (size_t)n < sizeof line);
	l->v = realloc(l->v, (l->n + 1) * sizeof *l->v);
	FZ_CHECK(l->v != NULL);
	FZ_CHECK((l->v[l->n++] = strdup(line)) != NULL);
}

static void walk(struct lines *l, int dfd, const char *rel)
{
	DIR *d;
	struct dirent *e;
	int fd = openat(dfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0 || !(d = fdopendir(fd))) {
		if (fd >= 0)
			close(fd);
		return; /* unreadable: its line says so by its mode */
	}
	while ((e = readdir(d))) {
		struct stat st;
		char *sub;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		sub = fz_join(rel, e->d_name);
		add_line(l, sub, dirfd(d), e->d_name, &st);
		if (S_ISDIR(st.st_mode)) {
			int cfd = openat(dirfd(d), e->d_name,
			                 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (cfd >= 0) {
				walk(l, cfd, sub);
				close(cfd);
			}
		}
		free(sub);
	}
	closedir(d);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

char *fz_snapshot(const char *dir)
{
	struct lines l = { NULL, 0 };
	size_t len = 2, i;
	char *s, *p;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	FZ_CHECK(fd >= 0);
	walk(&l, fd, ".");
	close(fd);
	qsort(l.v, l.n, sizeof *l.v, cmp_str);
	for (i = 0; i < l.n; i++)
		len += strlen(l.v[i]) + 1;
	FZ_CHECK((s = malloc(len)) != NULL);
	p = s;
	*p++ = '\n';
	for (i = 0; i < l.n; i++) {
		p += sprintf(p, "%s\n", l.v[i]);
		free(l.v[i]);
	}
	*p = 0;
	free(l.v);
	return s;
}

int fz_snapshot_within(const char *after, const char *before)
{
	const char *p = after + 1, *nl;
	char line[8200];

	for (; (nl = strchr(p, '\n')); p = nl + 1) {
		size_t n = (size_t)(nl - p) + 1;

		FZ_CHECK(n + 2 < sizeof line);
		line[0] = '\n';
		memcpy(line + 1, p, n);
		line[n + 1] = 0;
		if (!strstr(before, line)) {
			fprintf(stderr, "fuzz: new entry: %s", line + 1);
			return 0;
		}
	}
	return 1;
}
