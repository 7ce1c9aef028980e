/* Fuzz target: the constructors' and persist's arguments.  Each call
 * either succeeds with what the contract says (prefix + 8 characters +
 * suffix inside dir, mode 0600 or 0700, descriptor above 2 and
 * close-on-exec) or fails with -1 or NULL and a fitting errno, leaving
 * nothing behind. */
#define TEMPFILE_NO_DEPRECATED_WARNINGS 1
#include "fuzz.h"
#include "tempfile.h"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#define AFFIX_MAX 600

struct call {
	const char *iter;
	char *prefix, *suffix, *dir;
	char pspace[AFFIX_MAX], sspace[AFFIX_MAX];
	int dir_err;         /* what dir makes a constructor fail with, or 0 */
	const char *lexical; /* where ".." after a link lands lexically, or NULL */
	int may_succeed;     /* dir_err or a success in lexical */
	int affix_err;       /* what prefix and suffix make it fail with, or 0 */
	unsigned flags;
	char *before;        /* snapshot of the base */
};

/* NULL, "", bytes from the input (NUL-free, '/' allowed), or long. */
static char *pick_affix(struct fz_in *in, char *space)
{
	static const char *const odd[] = { ".", "..", "a/b", "/", " ", "\n", "\xff", "-", "~" };
	size_t n, i;

	switch (fz_u8(in) % 8) {
	case 0: return NULL;
	case 1: return strcpy(space, "");
	case 2:
		n = 200 + fz_u8(in) % 120; /* about NAME_MAX with the rest */
		memset(space, 'a', n);
		space[n] = 0;
		return space;
	case 3: return strcpy(space, odd[fz_u8(in) % (sizeof odd / sizeof *odd)]);
	default:
		n = fz_u8(in) % 24;
		for (i = 0; i < n; i++) {
			unsigned c = fz_u8(in);

			space[i] = (char)(c ? c : 'z');
		}
		space[n] = 0;
		return space;
	}
}

static void shape_entry(const char *iter, const char *name, const char *link, mode_t mode)
{
	char *p = fz_join(iter, name);
	struct stat st;

	if (lstat(p, &st) < 0) {
		if (link)
			FZ_CHECK(symlink(link, p) == 0);
		else if (S_ISDIR(mode))
			FZ_CHECK(mkdir(p, mode & 07777) == 0);
		else
			FZ_CHECK(close(open(p, O_CREAT | O_WRONLY | O_CLOEXEC, mode & 07777)) == 0);
	}
	if (!link)
		FZ_CHECK(chmod(p, mode & 07777) == 0);
	free(p);
}

/* The shape every call starts from, inside the iteration's directory
 * (made again where an earlier call replaced or removed a part). */
static void make_shape(const char *iter)
{
	shape_entry(iter, "sub", NULL, S_IFDIR | 0700);
	shape_entry(iter, "sub/deep", NULL, S_IFDIR | 0700);
	shape_entry(iter, "ro", NULL, S_IFDIR | 0500);
	shape_entry(iter, "file", NULL, S_IFREG | 0644);
	shape_entry(iter, "ln", "sub/deep", 0);
	shape_entry(iter, "lnfile", "file", 0);
	shape_entry(iter, "dangling", "nowhere", 0);
}

static char *concat(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	char *s = malloc(la + lb + 1);

	FZ_CHECK(s != NULL);
	memcpy(s, a, la);
	memcpy(s + la, b, lb + 1);
	return s;
}

static char *repeat(const char *head, const char *unit, size_t times)
{
	size_t lh = strlen(head), lu = strlen(unit), i;
	char *s = malloc(lh + lu * times + 1);

	FZ_CHECK(s != NULL);
	memcpy(s, head, lh);
	for (i = 0; i < times; i++)
		memcpy(s + lh + i * lu, unit, lu);
	s[lh + lu * times] = 0;
	return s;
}

/* s followed by "/" and a component longer than NAME_MAX; frees s. */
static char *long_name(char *s)
{
	char *t = repeat(s, "y", 300);

	free(s);
	return t;
}

/* A directory argument, and what a constructor must say about it. */
static void pick_dir(struct fz_in *in, struct call *c)
{
	c->dir_err = 0;
	c->lexical = NULL;
	c->may_succeed = 0;
	switch (fz_u8(in) % 16) {
	case 0: c->dir = NULL; break;
	case 1: c->dir = concat(c->iter, ""); break;
	case 2: c->dir = concat(c->iter, "/"); break;
	case 3: c->dir = concat(c->iter, "//"); break;
	case 4: c->dir = concat(c->iter, "/./sub/.."); break;
	case 5: c->dir = concat(c->iter, "/nonexistent"); c->dir_err = ENOENT; break;
	case 6: c->dir = concat(c->iter, "/file"); c->dir_err = ENOTDIR; break;
	case 7: c->dir = concat(c->iter, "/ln"); break;
	case 8: c->dir = concat(c->iter, "/ln/.."); c->lexical = c->iter; break;
	case 9: c->dir = concat(strrchr(c->iter, '/') + 1, "/sub"); break; /* relative */
	case 10: c->dir = concat("", ""); break; /* the current directory */
	case 11: c->dir = long_name(concat(c->iter, "/")); c->dir_err = ENAMETOOLONG; break;
	case 12: c->dir = concat(c->iter, "/ro"); c->dir_err = geteuid() ? EACCES : 0; break;
	case 13: /* the kernel's ENAMETOOLONG, or made short lexically */
		c->dir = repeat(c->iter, "/sub/..", PATH_MAX / 7 + 1);
		c->dir_err = ENAMETOOLONG; c->lexical = c->iter; c->may_succeed = 1; break;
	case 14: c->dir = concat(c->iter, "/sub/deep/../../sub/"); break;
	default: c->dir = concat(c->iter, "/dangling"); c->dir_err = ENOENT; break;
	}
}

static unsigned pick_flags(struct fz_in *in, unsigned valid)
{
	unsigned k = fz_u8(in);

	if (k >= 0xf0)
		return fz_u32(in);
	if (k >= 0xe0)
		return (k & valid) | 1u << (fz_u8(in) % 32);
	return k & valid;
}

static int has_slash(const char *s)
{
	return s && strchr(s, '/');
}

/* What prefix and suffix make every constructor fail with, or 0. */
static int affix_err(const struct call *c)
{
	size_t lp = strlen(c->prefix ? c->prefix : tempfile_gettempprefix());
	size_t ls = c->suffix ? strlen(c->suffix) : 0;

	if (has_slash(c->prefix) || has_slash(c->suffix))
		return EINVAL;
	return lp + TEMPFILE_NAME_LEN + ls > NAME_MAX ? ENAMETOOLONG : 0;
}

#define E(err) ((uint64_t)1 << (err))

/* The errors a failed call may report, one bit each: bad flags, affixes
 * and directory alike (where several are wrong, any of theirs); 0 where
 * it must not fail. */
static uint64_t expected(const struct call *c, int bad_flags)
{
	uint64_t m = 0;

	if (bad_flags)
		m |= E(EINVAL);
	if (c->affix_err)
		m |= E(c->affix_err);
	if (c->dir_err)
		m |= E(c->dir_err);
	return m;
}

static void check_failed(const struct call *c, uint64_t want, int err)
{
	char *after;

	if (err <= 0 || err >= 64 || !(want & E(err))) {
		fprintf(stderr, "fuzz: errno %d (%s), expected one of %#llx; dir %s\n", err,
		        strerror(err), (unsigned long long)want, c->dir ? c->dir : "(null)");
		abort();
	}
	after = fz_snapshot(fz_base());
	FZ_CHECK(!strcmp(after, c->before));
	free(after);
}

/* A new entry's path: absolute, in the directory asked for (after the
 * kernel's resolution, or the lexical one), named as the contract says. */
static void check_path(const struct call *c, const char *path, mode_t type, mode_t mode)
{
	const char *slash = strrchr(path, '/');
	char *parent;
	struct stat st, want, lex;

	FZ_CHECK(path[0] == '/' && slash);
	FZ_CHECK(fz_name_matches(slash + 1, c->prefix, c->suffix));
	FZ_CHECK(lstat(path, &st) == 0);
	FZ_CHECK((st.st_mode & S_IFMT) == type);
	FZ_CHECK((st.st_mode & 07777) == mode);
	parent = strndup(path, (size_t)(slash - path) + 1);
	FZ_CHECK(parent && stat(parent, &st) == 0);
	free(parent);
	if (stat(c->dir && *c->dir ? c->dir : fz_base(), &want) < 0)
		FZ_CHECK(c->lexical && stat(c->lexical, &want) == 0);
	if (c->lexical && st.st_ino != want.st_ino) {
		FZ_CHECK(stat(c->lexical, &lex) == 0);
		FZ_CHECK(st.st_ino == lex.st_ino);
	} else {
		FZ_CHECK(st.st_ino == want.st_ino && st.st_dev == want.st_dev);
	}
}

static void check_fd(int fd, const char *path)
{
	struct stat a, b;

	FZ_CHECK(fd > 2);
	FZ_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	FZ_CHECK(fstat(fd, &a) == 0);
	if (path) {
		FZ_CHECK(lstat(path, &b) == 0);
		FZ_CHECK(a.st_ino == b.st_ino && a.st_dev == b.st_dev);
	}
}

/* After a success, once the entry is gone: nothing else is new. */
static void check_clean(const struct call *c)
{
	char *after = fz_snapshot(fz_base());

	FZ_CHECK(fz_snapshot_within(after, c->before));
	free(after);
}

/* A success where a failure was due is a failure too. */
static void check_ok(const struct call *c, uint64_t want)
{
	if (want && !(c->may_succeed && want == E(c->dir_err))) {
		fprintf(stderr, "fuzz: success, expected errors %#llx; dir %s\n",
		        (unsigned long long)want, c->dir ? c->dir : "(null)");
		abort();
	}
}

static void call_mkstemp(struct fz_in *in, struct call *c)
{
	static const int extra[] = { 0, O_APPEND, O_SYNC, O_DSYNC, O_DIRECT, O_NOATIME,
	                             O_APPEND | O_NOATIME };
	static const int bad[] = { O_WRONLY, O_RDWR, O_TRUNC, O_CREAT, O_EXCL, O_DIRECTORY,
	                           O_NOFOLLOW, O_PATH, O_TMPFILE, O_NONBLOCK, O_NOCTTY,
	                           0x40000000, INT_MIN, -1 };
	const int valid = O_APPEND | O_SYNC | O_DSYNC | O_DIRECT | O_NOATIME;
	unsigned k = fz_u8(in);
	int flags = k < 200 ? extra[k % 7] : bad[k % 14] | extra[fz_u8(in) % 7];
	uint64_t want = expected(c, (flags & ~valid) != 0);
	int fd;
	char *path = NULL;

	errno = 0;
	if ((fd = tempfile_mkstemp(c->suffix, c->prefix, c->dir, flags, &path)) < 0) {
		check_failed(c, want, errno);
		return;
	}
	check_ok(c, want);
	check_fd(fd, path);
	check_path(c, path, S_IFREG, 0600);
	FZ_CHECK(!(flags & O_APPEND) || (fcntl(fd, F_GETFL) & O_APPEND));
	FZ_CHECK(unlink(path) == 0 && close(fd) == 0);
	free(path);
	check_clean(c);
}

static void call_mkdtemp(struct call *c)
{
	uint64_t want = expected(c, 0);
	char *path;

	errno = 0;
	if (!(path = tempfile_mkdtemp(c->suffix, c->prefix, c->dir))) {
		check_failed(c, want, errno);
		return;
	}
	check_ok(c, want);
	check_path(c, path, S_IFDIR, 0700);
	FZ_CHECK(rmdir(path) == 0);
	free(path);
	check_clean(c);
}

/* mktemp creates nothing; a directory it cannot look into may still give
 * a name. */
static void call_mktemp(struct call *c)
{
	uint64_t want = expected(c, 0);
	char *path, *after;
	struct stat st;

	errno = 0;
	path = tempfile_mktemp(c->suffix, c->prefix, c->dir);
	after = fz_snapshot(fz_base());
	FZ_CHECK(!strcmp(after, c->before));
	free(after);
	if (!path) {
		FZ_CHECK(errno > 0 && errno < 64 && (want & E(errno)));
		return;
	}
	FZ_CHECK(!c->affix_err);
	FZ_CHECK(path[0] == '/' && fz_name_matches(strrchr(path, '/') + 1, c->prefix, c->suffix));
	FZ_CHECK(lstat(path, &st) < 0);
	free(path);
}

/* Named files and directories: there, named as due, gone after close
 * unless kept. */
static void call_object(struct fz_in *in, struct call *c, int dir)
{
	unsigned valid = TEMPFILE_KEEP | TEMPFILE_CLEANUP_AT_EXIT |
	                 (dir ? TEMPFILE_IGNORE_CLEANUP_ERRORS : TEMPFILE_APPEND);
	unsigned flags = pick_flags(in, valid);
	uint64_t want = expected(c, (flags & ~valid) != 0);
	tempfile *tf = NULL;
	tempfile_dir *d = NULL;
	char *name;
	struct stat st;

	errno = 0;
	if (dir)
		d = tempfile_dir_new(c->suffix, c->prefix, c->dir, flags);
	else
		tf = tempfile_named(c->suffix, c->prefix, c->dir, flags);
	if (!tf && !d) {
		check_failed(c, want, errno);
		return;
	}
	check_ok(c, want);
	FZ_CHECK((name = strdup(dir ? tempfile_dir_name(d) : tempfile_name(tf))) != NULL);
	check_path(c, name, dir ? S_IFDIR : S_IFREG, dir ? 0700 : 0600);
	check_fd(dir ? tempfile_dir_fd(d) : tempfile_fileno(tf), name);
	FZ_CHECK((dir ? tempfile_dir_close(d) : tempfile_close(tf)) == 0);
	if (flags & TEMPFILE_KEEP)
		FZ_CHECK(remove(name) == 0);
	else
		FZ_CHECK(lstat(name, &st) < 0 && errno == ENOENT);
	free(name);
	check_clean(c);
}

/* Unnamed and spooled files: nothing to see in any directory. */
static void call_unnamed(struct fz_in *in, struct call *c, int spooled)
{
	unsigned valid = TEMPFILE_KEEP | TEMPFILE_APPEND | TEMPFILE_CLEANUP_AT_EXIT;
	unsigned flags = pick_flags(in, valid);
	uint64_t want = expected(c, (flags & ~valid) != 0);
	int r = 0;
	tempfile *tf;

	/* A spooled file's directory is used at the rollover, which is where
	 * permissions count; it must exist at once. */
	if (spooled)
		want &= ~E(EACCES);
	errno = 0;
	tf = spooled ? tempfile_spooled(fz_u8(in) % 3, c->suffix, c->prefix, c->dir, flags)
	             : tempfile_unnamed(c->suffix, c->prefix, c->dir, flags);
	if (!tf) {
		check_failed(c, want, errno);
		return;
	}
	check_ok(c, want);
	FZ_CHECK(tempfile_name(tf) == NULL);
	if (spooled) {
		/* Past a max_size of 1 or 2, the write itself rolls over. */
		r = tempfile_write(tf, "data", 4) == 4 ? tempfile_rollover(tf) : -1;
		FZ_CHECK(r == 0 || (errno == EACCES && c->dir_err == EACCES));
	}
	if (r == 0)
		check_fd(tempfile_fileno(tf), NULL);
	check_clean(c);
	FZ_CHECK(tempfile_close(tf) == 0);
	check_clean(c);
}

/* The *at forms: the current directory, the iteration's, a file (ENOTDIR)
 * or no descriptor (EBADF). */
static void call_at(struct fz_in *in, struct call *c, int dir)
{
	unsigned k = fz_u8(in) % 4;
	char *name = NULL, *file = fz_join(c->iter, "file");
	int dfd = k == 0 ? AT_FDCWD : k == 1 ? open(c->iter, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
	        : k == 2 ? open(file, O_RDONLY | O_CLOEXEC) : 1000;
	uint64_t want = (c->affix_err ? E(c->affix_err) : 0) |
	                (k == 2 ? E(ENOTDIR) : k == 3 ? E(EBADF) : 0);
	int fd;
	struct stat st, fst;

	free(file);
	FZ_CHECK(dfd != -1);
	errno = 0;
	fd = dir ? tempfile_mkdtempat(dfd, c->suffix, c->prefix, &name)
	         : tempfile_mkstempat(dfd, c->suffix, c->prefix, 0, &name);
	if (fd < 0) {
		check_failed(c, want, errno);
	} else {
		FZ_CHECK(want == 0);
		FZ_CHECK(fz_name_matches(name, c->prefix, c->suffix));
		FZ_CHECK(fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0);
		FZ_CHECK((st.st_mode & 07777) == (dir ? 0700u : 0600u));
		if (!dir) {
			check_fd(fd, NULL);
			FZ_CHECK(fstat(fd, &fst) == 0 && fst.st_ino == st.st_ino);
			FZ_CHECK(close(fd) == 0);
		} else {
			FZ_CHECK(fd == 0);
		}
		FZ_CHECK(unlinkat(dfd, name, dir ? AT_REMOVEDIR : 0) == 0);
		check_clean(c);
	}
	free(name);
	if (dfd >= 0 && dfd != 1000)
		close(dfd);
}
/* A persist destination, and the errno it must fail with (0: may work). */
static char *pick_target(struct fz_in *in, const struct call *c, const char *own,
                         int *must)
{
	char comp[40];
	size_t n, i;

	*must = 0;
	switch (fz_u8(in) % 18) {
	case 0: return fz_join(c->iter, "new");
	case 1: return fz_join(c->iter, "file");
	case 2: return fz_join(c->iter, "sub");
	case 3: return fz_join(c->iter, "new/");
	case 4: return fz_join(c->iter, "/new");
	case 5: return fz_join(c->iter, "sub/../new");
	case 6: return fz_join(c->iter, "ln/../x");
	case 7: *must = ENOENT; return fz_join(c->iter, "nonexistent/x");
	case 8: *must = ENOTDIR; return fz_join(c->iter, "file/x");
	case 9: *must = ENAMETOOLONG; return long_name(concat(c->iter, "/"));
	case 10: return fz_join(strrchr(c->iter, '/') + 1, "rel");
	case 11: return fz_join(c->iter, "dangling");
	case 12: return fz_join(c->iter, "lnfile");
	case 13: return concat(own ? own : c->iter, "");
	case 14: *must = geteuid() ? EACCES : 0; return fz_join(c->iter, "ro/x");
	case 15: *must = ENOENT; return concat("", "");
	case 16: return fz_join(c->iter, "ln/");
	default:
		n = fz_u8(in) % (sizeof comp - 1);
		for (i = 0; i < n; i++) {
			unsigned b = fz_u8(in);

			comp[i] = (char)(b && b != '/' ? b : '_');
		}
		comp[n] = 0;
		return fz_join(c->iter, comp);
	}
}

static tempfile *persist_object(struct fz_in *in, const struct call *c)
{
	tempfile *tf;

	switch (fz_u8(in) % 4) {
	case 0: tf = tempfile_named(NULL, NULL, c->iter, 0); break;
	case 1: tf = tempfile_unnamed(NULL, NULL, c->iter, 0); break;
	case 2: tf = tempfile_spooled(0, NULL, NULL, c->iter, 0); break;
	default: tf = tempfile_spooled(2, NULL, NULL, c->iter, 0); break;
	}
	FZ_CHECK(tf != NULL);
	FZ_CHECK(tempfile_write(tf, "data", 4) == 4);
	return tf;
}

/* A relative path is relative to where: the current directory or dirfd's. */
static void persisted(tempfile *tf, const char *path, unsigned flags, const char *where)
{
	const char *name = tempfile_name(tf);
	char *abs;

	FZ_CHECK(name && name[0] == '/');
	if (!(flags & TEMPFILE_FOLLOW)) {
		abs = path[0] == '/' ? concat(path, "") : fz_join(where, path);
		FZ_CHECK(!strcmp(name, abs));
		free(abs);
	}
	fz_check_file(name, "data", 4);
	if (!(flags & TEMPFILE_PRESERVE)) {
		struct stat st;

		FZ_CHECK(lstat(name, &st) == 0 && (st.st_mode & 07777) == 0600);
	}
	FZ_CHECK(unlink(name) == 0);
}

static void call_persist(struct fz_in *in, struct call *c, int at)
{
	unsigned valid = TEMPFILE_NOCLOBBER | TEMPFILE_PRESERVE | TEMPFILE_FOLLOW;
	tempfile *tf = persist_object(in, c);
	unsigned flags = pick_flags(in, valid | (fz_u8(in) == 0xff ? TEMPFILE_DURABLE : 0));
	int must, r, dfd = AT_FDCWD;
	char *path = pick_target(in, c, tempfile_name(tf), &must), buf[4];

	if (at)
		FZ_CHECK((dfd = open(c->iter, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0);
	c->before = fz_snapshot(fz_base());
	errno = 0;
	/* persistat: the path's last component, relative to the iteration's
	 * directory (or the whole of it, absolute or relative). */
	r = at ? tempfile_persistat(tf, dfd, path, flags) : tempfile_persist(tf, path, flags);
	if (r < 0) {
		int err = errno;

		uint64_t want = must ? E(must) : ~(uint64_t)1; /* any */

		if (flags & ~(valid | TEMPFILE_DURABLE))
			want = E(EINVAL);
		check_failed(c, want, err);
		/* Still usable. */
		FZ_CHECK(tempfile_seek(tf, 0, SEEK_SET) == 0);
		FZ_CHECK(tempfile_read(tf, buf, 4) == 4 && !memcmp(buf, "data", 4));
	} else {
		FZ_CHECK(!(flags & ~(valid | TEMPFILE_DURABLE)));
		FZ_CHECK(must == 0);
		persisted(tf, path, flags, at ? c->iter : fz_base());
	}
	FZ_CHECK(tempfile_close(tf) == 0);
	check_clean(c);
	free(path);
	if (at)
		close(dfd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in in = { data, size };
	struct fz_iter it;
	struct call c;
	int calls;

	fz_begin(&it);
	for (calls = 0; calls < 16 && fz_more(&in); calls++) {
		unsigned op = fz_u8(&in) % 12;

		make_shape(it.dir);
		memset(&c, 0, sizeof c);
		c.iter = it.dir;
		c.prefix = pick_affix(&in, c.pspace);
		c.suffix = pick_affix(&in, c.sspace);
		c.affix_err = affix_err(&c);
		pick_dir(&in, &c);
		c.before = fz_snapshot(fz_base());
		switch (op) {
		case 0: call_mkstemp(&in, &c); break;
		case 1: call_mkdtemp(&c); break;
		case 2: call_mktemp(&c); break;
		case 3: call_object(&in, &c, 0); break;
		case 4: call_unnamed(&in, &c, 0); break;
		case 5: call_unnamed(&in, &c, 1); break;
		case 6: call_object(&in, &c, 1); break;
		case 7: call_at(&in, &c, 0); break;
		case 8: call_at(&in, &c, 1); break;
		case 9: free(c.before); call_persist(&in, &c, 0); break;
		default: free(c.before); call_persist(&in, &c, 1); break;
		}
		free(c.before);
		free(c.dir);
	}
	fz_end(&it);
	return 0;
}
