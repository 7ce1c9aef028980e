/* Fuzz target: a sequence of operations on a spooled file (direct calls,
 * its stdio stream, fileno, rollover, persist), every result checked byte
 * for byte against an in-memory model, before and after the rollover. */
#include "fuzz.h"
#include "tempfile.h"

#include <fcntl.h>
#include <unistd.h>

/* The model holds this many bytes: writes and truncations stay below. */
#define LIMIT 65536
/* Positions past this may be more than the file system allows: a seek
 * there on disk may fail (EINVAL), and so may a rollover there (EFBIG). */
#define BIG ((off_t)1 << 40)
#define OFF_MAX INT64_MAX

/* Where the stream stands, for C's rules: after direct calls it must be
 * repositioned; between reading and writing it must be flushed or sought. */
enum { S_DIRECT, S_SYNCED, S_READ, S_WRITE };

struct model {
	unsigned char data[LIMIT]; /* zeros past size */
	size_t size;
	off_t pos;
	size_t max;
	unsigned flags;
	int rolled;
	int unget; /* pushed back by ungetc, or -1 */
	int state;
	FILE *f;
	const char *dir;
	char *paths[3];
	int exists[3]; /* paths[i] is a file, holding what */
	int persisted; /* index into paths + 1 of the last persist, or 0 */
	mode_t old_mode[3];
	mode_t mode; /* of the object's file */
};

static unsigned char buf[LIMIT + 1];

static size_t pick_len(struct fz_in *in)
{
	unsigned k = fz_u8(in);

	if (k < 200)
		return k % 40;
	if (k < 250)
		return fz_u16(in) % 5000;
	return fz_u16(in);
}

static off_t pick_off(struct fz_in *in, const struct model *m)
{
	static const off_t huge[] = { OFF_MAX, INT64_MIN, BIG, -BIG, OFF_MAX - 1, (off_t)1 << 62 };

	switch (fz_u8(in) % 13) {
	case 0: return 0;
	case 1: return m->pos;
	case 2: return (off_t)m->size;
	case 3: return (off_t)m->max;
	case 4: return (off_t)m->max + 1;
	case 5: return (off_t)m->max - 1;
	case 6: return -(off_t)fz_u8(in);
	case 7: return (int16_t)fz_u16(in);
	case 8: return fz_u16(in);
	case 9: return huge[fz_u8(in) % (sizeof huge / sizeof *huge)];
	case 10: return -m->pos;
	case 11: return (off_t)m->size - m->pos;
	default: return fz_u8(in) % 64;
	}
}

static void fill(struct fz_in *in, size_t n)
{
	size_t i, k = n < in->n ? n : in->n;

	fz_bytes(in, buf, k);
	for (i = k; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + 1);
}

/* Where a write of n bytes starts, or -1 if the model cannot hold it. */
static off_t write_start(const struct model *m, size_t n)
{
	off_t at = m->flags & TEMPFILE_APPEND ? (off_t)m->size : m->pos;

	return at > LIMIT || (off_t)n > LIMIT - at ? -1 : at;
}

static void model_write(struct model *m, off_t at, size_t n)
{
	if (n == 0)
		return;
	memcpy(m->data + at, buf, n);
	m->pos = at + (off_t)n;
	if ((size_t)m->pos > m->size)
		m->size = (size_t)m->pos;
	if (m->max && m->size > m->max)
		m->rolled = 1;
}

/* What a read of n bytes at pos gives, into want; returns the count. */
static size_t model_read(struct model *m, size_t n, unsigned char *want)
{
	size_t k = 0, avail, take;

	if (n == 0) /* fread() of nothing leaves a pushed-back byte there */
		return 0;
	if (m->unget >= 0) {
		want[k++] = (unsigned char)m->unget;
		m->pos++;
	}
	m->unget = -1;
	avail = m->pos < (off_t)m->size ? m->size - (size_t)m->pos : 0;
	take = n - k < avail ? n - k : avail;
	if (take) /* pos may be far past the model's bytes */
		memcpy(want + k, m->data + m->pos, take);
	m->pos += (off_t)take;
	return k + take;
}

/* The position a seek gives, or -1 with *err. */
static off_t model_seek(const struct model *m, off_t off, int whence, int *err)
{
	off_t base;

	switch (whence) {
	case SEEK_SET: base = 0; break;
	case SEEK_CUR: base = m->pos; break;
	case SEEK_END: base = (off_t)m->size; break;
	default: *err = EINVAL; return -1;
	}
	if (off < -base) {
		*err = EINVAL;
		return -1;
	}
	if (off > 0 && off > OFF_MAX - base) {
		*err = EOVERFLOW;
		return -1;
	}
	return base + off;
}

static void direct(struct model *m)
{
	if (m->f)
		m->state = S_DIRECT;
	m->unget = -1;
}

static void op_write(struct fz_in *in, tempfile *tf, struct model *m)
{
	size_t n = pick_len(in);
	off_t at = write_start(m, n);

	if (at < 0)
		return;
	fill(in, n);
	FZ_CHECK(tempfile_write(tf, buf, n) == (ssize_t)n);
	direct(m);
	model_write(m, at, n);
}

static void op_read(struct fz_in *in, tempfile *tf, struct model *m)
{
	static unsigned char want[LIMIT];
	size_t n = pick_len(in) % LIMIT, k;
	ssize_t r;

	direct(m);
	k = model_read(m, n, want);
	r = tempfile_read(tf, buf, n);
	FZ_CHECK(r == (ssize_t)k);
	FZ_CHECK(memcmp(buf, want, k) == 0);
}

static void check_seek(struct model *m, off_t r, off_t want, int err)
{
	if (want < 0) {
		FZ_CHECK(r == -1);
		/* The kernel says EINVAL where the spool says EOVERFLOW. */
		FZ_CHECK(errno == err || (m->rolled && errno == EINVAL));
	} else if (want > BIG && m->rolled && r == -1) {
		FZ_CHECK(errno == EINVAL); /* past what the file system allows */
	} else {
		FZ_CHECK(r == want);
		m->pos = want;
	}
}

#ifdef SEEK_DATA
/* SEEK_DATA and SEEK_HOLE: lseek's answers on disk, EINVAL in memory. */
static void seek_data_hole(tempfile *tf, struct model *m, off_t off, int whence)
{
	off_t r = tempfile_seek(tf, off, whence);

	if (!m->rolled) {
		FZ_CHECK(r == -1 && errno == EINVAL);
		return;
	}
	if (r < 0) {
		FZ_CHECK(errno == ENXIO || errno == EINVAL);
		return;
	}
	FZ_CHECK(r >= off && r <= (off_t)m->size);
	m->pos = r;
}
#endif

static void op_seek(struct fz_in *in, tempfile *tf, struct model *m)
{
#ifdef SEEK_DATA
	static const int whences[] = { SEEK_SET, SEEK_CUR, SEEK_END, SEEK_DATA, SEEK_HOLE, 5, -1 };
#else
	static const int whences[] = { SEEK_SET, SEEK_CUR, SEEK_END, 5, -1 };
#endif
	int whence = whences[fz_u8(in) % (sizeof whences / sizeof *whences)];
	off_t off = pick_off(in, m), want;
	int err = 0;

	direct(m);
#ifdef SEEK_DATA
	if (whence == SEEK_DATA || whence == SEEK_HOLE) {
		seek_data_hole(tf, m, off, whence);
		return;
	}
#endif
	want = model_seek(m, off, whence, &err);
	check_seek(m, tempfile_seek(tf, off, whence), want, err);
}

static void op_truncate(struct fz_in *in, tempfile *tf, struct model *m)
{
	off_t size = pick_off(in, m);

	if (size > LIMIT)
		return;
	direct(m);
	if (size < 0) {
		FZ_CHECK(tempfile_truncate(tf, size) == -1 && errno == EINVAL);
		return;
	}
	if (tempfile_truncate(tf, size) < 0) {
		/* Past max_size it rolls over, which fails (EFBIG, all as it
		 * was) where the position is past what the disk allows. */
		FZ_CHECK(errno == EFBIG && m->pos > BIG && !m->rolled && m->max &&
		         (size_t)size > m->max);
		return;
	}
	if ((size_t)size < m->size)
		memset(m->data + size, 0, m->size - (size_t)size);
	m->size = (size_t)size;
	if (m->max && m->size > m->max)
		m->rolled = 1;
}

/* Rollover and fileno: on disk now, unless the position is past what the
 * file system allows (EFBIG, everything still in memory). */
static int rolls(int r, struct model *m)
{
	if (r < 0 && m->pos > BIG && !m->rolled) {
		FZ_CHECK(errno == EFBIG);
		return 0;
	}
	m->rolled = 1;
	return 1;
}

static void op_rollover(tempfile *tf, struct model *m)
{
	int r = tempfile_rollover(tf);

	direct(m);
	if (rolls(r, m))
		FZ_CHECK(r == 0);
	FZ_CHECK(tempfile_rolled(tf) == m->rolled);
}

static void op_fileno(tempfile *tf, struct model *m)
{
	int fd = tempfile_fileno(tf);
	struct stat st;

	direct(m);
	if (!rolls(fd, m))
		return;
	FZ_CHECK(fd > 2);
	FZ_CHECK(fcntl(fd, F_GETFD) & FD_CLOEXEC);
	FZ_CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode));
	FZ_CHECK(st.st_size == (off_t)m->size);
	FZ_CHECK(lseek(fd, 0, SEEK_CUR) == m->pos);
	FZ_CHECK(tempfile_rolled(tf) == 1);
}

/* Buffered stream writes reach the spool (and may roll it) when flushed;
 * the model counts them at once. */
static void flush_writes(struct model *m)
{
	if (m->f && m->state == S_WRITE) {
		FZ_CHECK(fflush(m->f) == 0);
		m->state = S_SYNCED;
	}
}

static void op_rolled(tempfile *tf, struct model *m)
{
	flush_writes(m);
	FZ_CHECK(tempfile_rolled(tf) == m->rolled);
}

/* glibc's fopencookie() streams lose a write's length in fseek(SEEK_CUR):
 * when a write that began inside the bytes read ahead is flushed by the
 * fseek itself, the seek starts from where that write began (the cookie's
 * write, unlike a file's, leaves the stream's cached offset alone).  This
 * is glibc's defect, documented in tempfile_read(3), BUGS; what is checked
 * here is the way around it that the page gives, fflush() first. */
static void flush_before_seek_cur(struct model *m)
{
#ifdef __GLIBC__
	flush_writes(m);
#else
	(void)m;
#endif
}

/* Puts the stream where C lets the next operation start: after direct
 * calls, at the model's position; between reading and writing, sought to
 * where it stands. */
static void stream_ready(struct model *m, int for_write)
{
	if (m->state == S_DIRECT) {
		FZ_CHECK(fseeko(m->f, m->pos, SEEK_SET) == 0);
	} else if ((for_write && m->state == S_READ) || (!for_write && m->state == S_WRITE)) {
		flush_before_seek_cur(m);
		FZ_CHECK(fseeko(m->f, 0, SEEK_CUR) == 0);
		FZ_CHECK(ftello(m->f) == m->pos);
	} else {
		return;
	}
	m->state = S_SYNCED;
	m->unget = -1;
}

static void stream_write(struct fz_in *in, struct model *m)
{
	size_t n = pick_len(in);
	off_t at;

	stream_ready(m, 1);
	if ((at = write_start(m, n)) < 0)
		return;
	fill(in, n);
	FZ_CHECK(fwrite(buf, 1, n, m->f) == n);
	model_write(m, at, n);
	m->state = S_WRITE;
}

static void stream_read(struct fz_in *in, struct model *m)
{
	static unsigned char want[LIMIT];
	size_t n = pick_len(in) % LIMIT, k;

	stream_ready(m, 0);
	k = model_read(m, n, want);
	FZ_CHECK(fread(buf, 1, n, m->f) == k);
	FZ_CHECK(memcmp(buf, want, k) == 0);
	m->state = S_READ;
}

/* fseek is also how the stream comes back after direct calls. */
static void stream_seek(struct fz_in *in, struct model *m)
{
	static const int whences[] = { SEEK_SET, SEEK_CUR, SEEK_END, 5 };
	int whence = whences[fz_u8(in) % 4], err = 0;
	off_t off = pick_off(in, m), want = model_seek(m, off, whence, &err);

	if (want > LIMIT)
		return;
	if (whence == SEEK_CUR)
		flush_before_seek_cur(m);
	if (fseeko(m->f, off, whence) != 0) {
		/* glibc takes what it has buffered off a SEEK_CUR offset: from
		 * the most negative one that wraps to the largest, EOVERFLOW. */
		FZ_CHECK(want < 0 && (errno == err || errno == EINVAL || errno == EOVERFLOW));
		/* glibc refuses a bad whence before it flushes: flush and put
		 * the stream back where it was. */
		if (m->state == S_WRITE)
			FZ_CHECK(fflush(m->f) == 0);
		FZ_CHECK(fseeko(m->f, m->pos, SEEK_SET) == 0);
		m->state = S_SYNCED;
		m->unget = -1;
		return;
	}
	FZ_CHECK(want >= 0);
	FZ_CHECK(ftello(m->f) == want);
	m->pos = want;
	m->state = S_SYNCED;
	m->unget = -1;
}

static void stream_ungetc(struct fz_in *in, struct model *m)
{
	unsigned k = fz_u8(in);
	int c;

	/* After reads only: glibc's fopencookie() streams free a pointer that
	 * malloc() never gave (ASan: bad-free) in fread() after fwrite(),
	 * fflush(), ungetc(), with any cookie, not only the library's. */
	if (m->state != S_READ || m->unget >= 0 || m->pos == 0)
		return;
	/* The byte read, or another one (C allows either). */
	c = k & 1 ? (int)(k >> 1) : (size_t)m->pos <= m->size ? m->data[m->pos - 1] : 0;
	FZ_CHECK(ungetc(c, m->f) == c);
	m->pos--;
	m->unget = c;
	m->state = S_READ;
	FZ_CHECK(ftello(m->f) == m->pos);
}

static void op_stream(struct fz_in *in, tempfile *tf, struct model *m)
{
	if (!m->f) {
		/* Without fopencookie() and funopen(), the stream is the disk
		 * file's, and the spool rolls over for it (EFBIG, see rolls()). */
		if (!(m->f = tempfile_stream(tf))) {
			FZ_CHECK(errno == EFBIG && m->pos > BIG && !m->rolled);
			return;
		}
		FZ_CHECK(fileno(m->f) == -1 || tempfile_rolled(tf));
		if (fileno(m->f) != -1)
			m->rolled = 1;
		m->state = S_DIRECT;
	}
	FZ_CHECK(tempfile_stream(tf) == m->f);
	if (m->pos > LIMIT) {
		/* The stream works where the model holds the bytes. */
		FZ_CHECK(fseeko(m->f, 0, SEEK_SET) == 0);
		m->pos = 0;
		m->unget = -1;
		m->state = S_SYNCED;
		return;
	}
	switch (fz_u8(in) % 6) {
	case 0: stream_write(in, m); break;
	case 1: stream_read(in, m); break;
	case 2: stream_seek(in, m); break;
	case 3: stream_ungetc(in, m); break;
	case 4:
		stream_ready(m, m->state == S_WRITE);
		FZ_CHECK(ftello(m->f) == m->pos);
		break;
	default:
		if (m->state == S_READ) /* fflush() of input: not C's */
			break;
		FZ_CHECK(fflush(m->f) == 0);
		if (m->state == S_WRITE)
			m->state = S_SYNCED;
		break;
	}
}

static void op_persist(struct fz_in *in, tempfile *tf, struct model *m)
{
	unsigned k = fz_u8(in) % 3, flags = fz_u8(in);
	unsigned valid = TEMPFILE_NOCLOBBER | TEMPFILE_PRESERVE | TEMPFILE_FOLLOW;
	int r, was_rolled = m->rolled;
	struct stat st;
	mode_t want;

	/* DURABLE is fsync(): rarely, it is slow. */
	if ((flags & 0xf0) == 0xf0)
		valid |= TEMPFILE_DURABLE;
	flags = (flags & 0x80 && flags & 0x40) ? flags << 4 : flags & valid;
	flush_writes(m);
	r = tempfile_persist(tf, m->paths[k], flags);
	direct(m);
	if (flags & ~0xfu) {
		FZ_CHECK(r == -1 && errno == EINVAL);
		return;
	}
	/* The rollover first, which may fail (see rolls()), whatever else. */
	if (r < 0 && errno == EFBIG && m->pos > BIG && !m->rolled)
		return;
	/* NOCLOBBER onto its own name: refused, or a no-op. */
	if ((flags & TEMPFILE_NOCLOBBER) && m->exists[k] &&
	    (m->persisted != (int)k + 1 || r != 0)) {
		FZ_CHECK(r == -1 && errno == EEXIST);
		return;
	}
	FZ_CHECK(r == 0);
	m->rolled = tempfile_rolled(tf);
	FZ_CHECK(m->rolled >= was_rolled);
	FZ_CHECK(tempfile_name(tf) && !strcmp(tempfile_name(tf), m->paths[k]));
	fz_check_file(m->paths[k], m->data, m->size);
	FZ_CHECK(lstat(m->paths[k], &st) == 0 && S_ISREG(st.st_mode));
	/* Its own mode (0600 as made), or with PRESERVE the replaced file's,
	 * or what open(O_CREAT, 0666) gives under umask 022. */
	if (m->persisted == (int)k + 1)
		m->old_mode[k] = m->mode;
	want = !(flags & TEMPFILE_PRESERVE) ? m->mode : m->exists[k] ? m->old_mode[k] : 0644;
	FZ_CHECK((st.st_mode & 07777) == want);
	m->mode = want;
	if (m->persisted && m->persisted != (int)k + 1) {
		/* A named file moves: its old name is gone. */
		FZ_CHECK(lstat(m->paths[m->persisted - 1], &st) == -1 && errno == ENOENT);
		m->exists[m->persisted - 1] = 0;
	}
	m->exists[k] = 1;
	m->persisted = (int)k + 1;
}

static tempfile *make(struct fz_in *in, struct model *m, const char *iter)
{
	static const size_t sizes[] = { 0, 1, 2, 3, 4, 7, 8, 15, 16, 17, 100, 255, 256, 257,
	                                1000, 4095, 4096, 4097, 8192, 65535 };
	unsigned k = fz_u8(in), f = fz_u8(in);
	tempfile *tf;

	m->max = k < 128 ? sizes[k % (sizeof sizes / sizeof *sizes)] : fz_u16(in);
	m->flags = f & (TEMPFILE_KEEP | TEMPFILE_APPEND | TEMPFILE_CLEANUP_AT_EXIT);
	m->dir = f & 0x10 ? NULL : iter;
	if ((f & 0xc0) == 0xc0) {
		/* An unknown flag: refused, nothing made. */
		FZ_CHECK(!tempfile_spooled(m->max, NULL, NULL, m->dir, m->flags | 0x100) &&
		         errno == EINVAL);
		return NULL;
	}
	tf = tempfile_spooled(m->max, f & 0x20 ? ".s" : NULL, f & 0x20 ? "sp" : NULL, m->dir, m->flags);
	FZ_CHECK(tf != NULL);
	FZ_CHECK(tempfile_rolled(tf) == 0);
	FZ_CHECK(tempfile_name(tf) == NULL);
	return tf;
}

static void setup_paths(struct fz_in *in, struct model *m, const char *iter)
{
	int i;

	for (i = 0; i < 3; i++) {
		char name[4] = { 'p', (char)('0' + i), 0 };

		m->paths[i] = fz_join(iter, name);
	}
	/* p2 may exist beforehand, to be replaced (or not, NOCLOBBER). */
	if (fz_u8(in) & 1) {
		FILE *f = fopen(m->paths[2], "w");

		FZ_CHECK(f && fputs("old", f) >= 0 && fclose(f) == 0);
		FZ_CHECK(chmod(m->paths[2], 0640) == 0);
		m->exists[2] = 1;
		m->old_mode[2] = 0640;
	}
}

static void finish(tempfile *tf, struct model *m, const char *iter)
{
	int i, n = 0;

	FZ_CHECK(tempfile_close(tf) == 0);
	if (m->persisted)
		fz_check_file(m->paths[m->persisted - 1], m->data, m->size);
	for (i = 0; i < 3; i++) {
		n += m->exists[i];
		free(m->paths[i]);
	}
	/* Nothing else is left: the disk file had no name. */
	FZ_CHECK(fz_count_entries(iter) == n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct model m;
	struct fz_in in = { data, size };
	struct fz_iter it;
	tempfile *tf;
	int ops;

	fz_begin(&it);
	memset(&m, 0, sizeof m);
	m.unget = -1;
	m.mode = 0600;
	if ((tf = make(&in, &m, it.dir))) {
		setup_paths(&in, &m, it.dir);
		for (ops = 0; ops < 256 && fz_more(&in); ops++) {
			switch (fz_u8(&in) % 10) {
			case 0: op_write(&in, tf, &m); break;
			case 1: op_read(&in, tf, &m); break;
			case 2: op_seek(&in, tf, &m); break;
			case 3: op_truncate(&in, tf, &m); break;
			case 4: op_rollover(tf, &m); break;
			case 5: op_fileno(tf, &m); break;
			case 6: op_rolled(tf, &m); break;
			case 7: op_persist(&in, tf, &m); break;
			default: op_stream(&in, tf, &m); break;
			}
		}
		finish(tf, &m, it.dir);
	}
	fz_end(&it);
	return 0;
}
