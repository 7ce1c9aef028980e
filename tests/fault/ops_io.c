/* I/O on every kind of file object: direct calls, rollover, the stream,
 * reopen, closefd and close. */
#include "config.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "driver.h"
#include "tests/largespool.h"
#include "src/internal.h"
#include "tempfile.h"

/* The driver's own stdio calls on the stream: the real ones (the library's
 * calls under them are still counted). */
int __real_fflush(FILE *f);
int __real_fseeko64(FILE *f, off_t off, int whence);


#define BIG 100

static const char big[BIG + 1] =
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUV";

const char start_data[] = "0123456789";

tempfile *fx_object(struct fx *x, int kind, unsigned flags)
{
	tempfile *tf;

	if (kind == PLAIN_UNNAMED)
		tfp_tmpfile_works = 0;
	if (kind == NAMED)
		tf = tempfile_named(NULL, NULL, x->dir, flags);
	else if (kind == SPOOL || kind == ROLLED)
		tf = tempfile_spooled(MAX, NULL, NULL, x->dir, flags);
	else
		tf = tempfile_unnamed(NULL, NULL, x->dir, flags);
	if (!tf || tempfile_write(tf, start_data, START_LEN) != START_LEN ||
	    (kind == ROLLED && tempfile_rollover(tf) < 0)) {
		perror("making a file object");
		abort();
	}
	fx_snap(x);
	return tf;
}

int fx_object_holds(tempfile *tf, const char *want, size_t n, off_t pos)
{
	char buf[4096];
	ssize_t r, got = 0;

	if (tempfile_seek(tf, 0, SEEK_CUR) != pos || tempfile_seek(tf, 0, SEEK_SET) != 0)
		return 0;
	while ((r = tempfile_read(tf, buf + got, sizeof buf - (size_t)got)) > 0)
		got += r;
	return r == 0 && (size_t)got == n && memcmp(buf, want, n) == 0 &&
	       tempfile_seek(tf, pos, SEEK_SET) == pos;
}


/* Checks the directory, then closes tf, which must work without faults
 * (the run's last check sees that it removed its file). */
static void finish(struct fx *x, tempfile *tf)
{
	fx_same(x);
	FX_CHECK(x, tempfile_close(tf) == 0);
}

/* v: kind | 8 for a write of BIG bytes (across the rollover). */
static void op_write(struct fx *x, int v)
{
	tempfile *tf = fx_object(x, v & 7, 0);
	size_t n = v & 8 ? BIG : 5;
	char want[START_LEN + BIG];
	ssize_t w;

	FX_ARM(x);
	w = tempfile_write(tf, big, n);
	FX_DISARM(x);
	if (w < 0) {
		fx_failed(x);
		HOLDS_START(x, tf);
	} else {
		FX_CHECK(x, w > 0 && (size_t)w <= n);
		memcpy(want, start_data, START_LEN);
		memcpy(want + START_LEN, big, n);
		FX_CHECK(x, fx_object_holds(tf, want, START_LEN + (size_t)w, START_LEN + w));
	}
	finish(x, tf);
}

static void op_read(struct fx *x, int v)
{
	tempfile *tf = fx_object(x, v, 0);
	char buf[BIG];
	ssize_t r;

	tempfile_seek(tf, 2, SEEK_SET);
	FX_ARM(x);
	r = tempfile_read(tf, buf, sizeof buf);
	FX_DISARM(x);
	if (r < 0)
		fx_failed(x);
	else
		FX_CHECK(x, r > 0 && r <= START_LEN - 2 && !memcmp(buf, start_data + 2, (size_t)r));
	finish(x, tf);
}

/* v: kind | 8 for a size of BIG (past the spool's max_size). */
static void op_truncate(struct fx *x, int v)
{
	tempfile *tf = fx_object(x, v & 7, 0);
	off_t size = v & 8 ? BIG : 4;
	char want[BIG];
	int r;

	FX_ARM(x);
	r = tempfile_truncate(tf, size);
	FX_DISARM(x);
	if (r < 0) {
		fx_failed(x);
		HOLDS_START(x, tf);
	} else {
		memset(want, 0, sizeof want);
		memcpy(want, start_data, size < START_LEN ? (size_t)size : START_LEN);
		FX_CHECK(x, fx_object_holds(tf, want, (size_t)size, START_LEN));
	}
	finish(x, tf);
}

static void op_seek(struct fx *x, int v)
{
	tempfile *tf = fx_object(x, v, 0);
	off_t r;

	FX_ARM(x);
	r = tempfile_seek(tf, 3, SEEK_SET);
	FX_DISARM(x);
	if (r < 0) {
		fx_failed(x);
		HOLDS_START(x, tf);
	} else {
		FX_CHECK(x, r == 3 && fx_object_holds(tf, start_data, START_LEN, 3));
	}
	finish(x, tf);
}

/* The spool of tests/largespool.h, headed for x->other (tmpfs), or NULL
 * without one. */
static tempfile *large_object(struct fx *x)
{
	tempfile *tf;

	if (!x->other)
		return NULL;
	tfp_spool_release_min = LARGE_RELEASE_MIN;
	if (!(tf = large_spool(x->other))) {
		perror("making a large spool");
		abort();
	}
	fx_snap(x);
	return tf;
}

/* v: 0 tempfile_rollover(), 1 tempfile_fileno(), both on a spool; | 2 for
 * the large one.  Failed or not, the contents and the position are as
 * they were. */
static void op_rollover(struct fx *x, int v)
{
	tempfile *tf = v & 2 ? large_object(x) : fx_object(x, SPOOL, 0);
	int r;

	if (!tf)
		return;
	FX_ARM(x);
	r = v & 1 ? tempfile_fileno(tf) : tempfile_rollover(tf);
	FX_DISARM(x);
	if (r < 0) {
		fx_failed(x);
		FX_CHECK(x, !tempfile_rolled(tf));
	} else {
		FX_CHECK(x, tempfile_rolled(tf));
		FX_CHECK(x, !(v & 1) || fx_fd_ok(r));
	}
	if (v & 2)
		FX_CHECK(x, large_holds(tf));
	else
		HOLDS_START(x, tf);
	finish(x, tf);
}

/* The stream: v is the kind | 8 for a write of BIG bytes and a flush, 16
 * for a seek and a read. */
static void op_stream(struct fx *x, int v)
{
	tempfile *tf = fx_object(x, v & 7, 0);
	char buf[BIG], want[START_LEN + BIG];
	size_t n = 0;
	FILE *f;
	int r = -1;

	FX_ARM(x);
	f = tempfile_stream(tf);
	if (f && (v & 8))
		r = fwrite(big, 1, BIG, f) == BIG && __real_fflush(f) == 0 ? 0 : -1;
	if (f && (v & 16)) {
		r = __real_fseeko64(f, 1, SEEK_SET);
		if (r == 0)
			n = fread(buf, 1, sizeof buf, f);
	}
	FX_DISARM(x);
	if (!f) {
		fx_failed(x);
		HOLDS_START(x, tf);
		finish(x, tf);
		return;
	}
	if (r < 0 || ferror(f)) {
		/* What a stream that met an error wrote is the C library's
		 * business; the object must still close cleanly. */
		FX_CHECK(x, errno != 0);
		clearerr(f);
		fx_same(x);
		tempfile_close(tf);
		return;
	}
	if (v & 8) {
		memcpy(want, start_data, START_LEN);
		memcpy(want + START_LEN, big, BIG);
		FX_CHECK(x, fx_object_holds(tf, want, START_LEN + BIG, START_LEN + BIG));
	} else {
		FX_CHECK(x, n == START_LEN - 1 && !memcmp(buf, start_data + 1, n));
	}
	finish(x, tf);
}

/* v: kind | 8 for O_WRONLY|O_APPEND. */
static void op_reopen(struct fx *x, int v)
{
	tempfile *tf = fx_object(x, v & 7, 0);
	char buf[BIG];
	int fd;

	FX_ARM(x);
	fd = tempfile_reopen(tf, v & 8 ? O_WRONLY | O_APPEND : O_RDONLY);
	FX_DISARM(x);
	if (fd < 0) {
		fx_failed(x);
		HOLDS_START(x, tf);
	} else {
		FX_CHECK(x, fx_fd_ok(fd));
		if (v & 8)
			FX_CHECK(x, write(fd, "x", 1) == 1 &&
			            fx_object_holds(tf, "0123456789x", START_LEN + 1, START_LEN));
		else
			FX_CHECK(x, read(fd, buf, sizeof buf) == START_LEN &&
			            !memcmp(buf, start_data, START_LEN));
		close(fd);
	}
	finish(x, tf);
}

/* tempfile_closefd() (v & 8) or tempfile_close() of an object with a
 * stream holding unwritten data, made with CLEANUP_AT_EXIT (v & 16). */
static void op_close(struct fx *x, int v)
{
	tempfile *tf = fx_object(x, v & 7, v & 16 ? TEMPFILE_CLEANUP_AT_EXIT : 0);
	char *name = tempfile_name(tf) ? strdup(tempfile_name(tf)) : NULL;
	FILE *f = tempfile_stream(tf);
	int r;

	if (!f || fputs("s", f) == EOF)
		abort();
	FX_ARM(x);
	r = v & 8 ? tempfile_closefd(tf) : tempfile_close(tf);
	FX_DISARM(x);
	if (r < 0)
		fx_failed(x);
	/* Removed or not, the run's last check sees. */
	if (v & 8) {
		FX_CHECK(x, tempfile_write(tf, "x", 1) < 0 && errno == EBADF);
		if (name)
			FX_CHECK(x, fx_exists(name));
		FX_CHECK(x, tempfile_close(tf) == 0);
	}
	free(name);
}

#define KINDS(name, fn, extra) \
	{ name " named", fn, NAMED | (extra), 0 }, \
	{ name " unnamed", fn, UNNAMED | (extra), 0 }, \
	{ name " unnamed no O_TMPFILE", fn, PLAIN_UNNAMED | (extra), 0 }, \
	{ name " spooled", fn, SPOOL | (extra), 0 }, \
	{ name " spooled rolled", fn, ROLLED | (extra), 0 }

const struct op ops_io[] = {
	KINDS("write", op_write, 0),
	KINDS("write big", op_write, 8),
	KINDS("read", op_read, 0),
	KINDS("truncate", op_truncate, 0),
	KINDS("truncate big", op_truncate, 8),
	KINDS("seek", op_seek, 0),
	{ "rollover", op_rollover, 0, 0 },
	{ "fileno spooled", op_rollover, 1, 0 },
	{ "rollover large", op_rollover, 2, 0 },
	KINDS("stream write", op_stream, 8),
	KINDS("stream read", op_stream, 16),
	KINDS("reopen", op_reopen, 0),
	KINDS("reopen append", op_reopen, 8),
	KINDS("closefd", op_close, 8),
	KINDS("close", op_close, 0),
	KINDS("close CLEANUP_AT_EXIT", op_close, 16),
	{ NULL, NULL, 0, 0 },
};
