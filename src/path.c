/* Path strings: os.path.abspath(), joining, the environment, lstat. */
#include "internal.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef __SSE2__
# include <emmintrin.h>
#endif

char *tfp_getcwd(void)
{
	size_t size = 256;

	for (;;) {
		char *buf = malloc(size);

		if (!buf) {
			errno = ENOMEM;
			return NULL;
		}
		if (getcwd(buf, size))
			return buf;
		free(buf);
		if (errno != ERANGE)
			return NULL;
		size *= 2;
	}
}

/* Whether dir, of len > 1 bytes from a '/', is what tfp_abspath() makes of
 * it: no empty, "." or ".." component, no trailing '/'. */
static int is_clean(const char *dir, size_t len)
{
	const char *p = dir, *end = dir + len;

	if (end[-1] == '/')
		return 0;
	while (p < end) { /* at a '/' */
		const char *c = p + 1;

		if (c[0] == '/' ||
		    (c[0] == '.' && (!c[1] || c[1] == '/' ||
		                     (c[1] == '.' && (!c[2] || c[2] == '/')))))
			return 0;
		for (p = c + 1; *p && *p != '/'; p++)
			continue;
	}
	return 1;
}

/* Whether one of dir's first len bytes (len <= 8) is a '/' before a '/'
 * or a '.'; '.' | 1 == '/', so one test finds both. */
static int short_unclean(const char *dir, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i++)
		if (dir[i] == '/' && (dir[i + 1] | 1) == '/')
			return 1;
	return 0;
}

#ifdef __SSE2__
/* Bit i set where byte i of v is a '/' before a '/' or a '.' (byte 15
 * pairs with none). */
static unsigned pair_hits(__m128i v)
{
	const __m128i slash = _mm_set1_epi8('/'), one = _mm_set1_epi8(1);
	__m128i next = _mm_or_si128(_mm_srli_si128(v, 1), one);

	return (unsigned)_mm_movemask_epi8(_mm_and_si128(_mm_cmpeq_epi8(v, slash),
	                                                 _mm_cmpeq_epi8(next, slash)));
}

/* Whether some '/' among dir's len bytes comes before a '/' or a '.':
 * what every unclean absolute path but one with a trailing '/' has (a
 * hidden ".name" too: a false alarm).  16 bytes at a time, never reading
 * past dir[len - 1]: under 16, the first 8 and the last 8 (overlapping)
 * as one block; from 16, blocks 15 bytes apart, the last one ending at
 * the end. */
static int maybe_unclean(const char *dir, size_t len)
{
	uint64_t lo, hi;
	size_t i;

	if (len <= 8)
		return short_unclean(dir, len);
	if (len < 16) {
		memcpy(&lo, dir, sizeof lo);
		memcpy(&hi, dir + len - 8, sizeof hi);
		/* Bytes 7 and 8 of the block are not neighbours in dir. */
		return (pair_hits(_mm_set_epi64x((long long)hi, (long long)lo)) & ~0x80u) != 0;
	}
	for (i = 0;; i += 15) {
		if (i + 16 > len)
			i = len - 16;
		if (pair_hits(_mm_loadu_si128((const __m128i *)(const void *)(dir + i))))
			return 1;
		if (i + 16 == len)
			return 0;
	}
}
#else
# define ONES UINT64_C(0x0101010101010101)

/* The high bit of every byte of w that is c, and maybe of some above one
 * that is: a false alarm costs the exact check, never a wrong answer. */
static uint64_t bytes_eq(uint64_t w, unsigned char c)
{
	uint64_t x = w ^ (ONES * c);

	return (x - ONES) & ~x & (ONES << 7);
}

/* Whether one of the 8 bytes at p is a '/' before a '/' or a '.' (reads
 * p[0..8]). */
static int word_hit(const char *p)
{
	uint64_t w, next;

	memcpy(&w, p, sizeof w);
	memcpy(&next, p + 1, sizeof next);
	return (bytes_eq(w, '/') & bytes_eq(next | ONES, '/')) != 0;
}

/* maybe_unclean() as above, 8 bytes at a time, the last step overlapping
 * the one before; never reads past dir[len - 1]. */
static int maybe_unclean(const char *dir, size_t len)
{
	size_t i = 0;

	if (len <= 8)
		return short_unclean(dir, len);
	for (;;) {
		if (word_hit(dir + i))
			return 1;
		if (i + 9 == len)
			return 0;
		i = i + 17 <= len ? i + 8 : len - 9;
	}
}
#endif

size_t tfp_clean_abs_len(const char *dir)
{
	size_t len;

	if (dir[0] != '/')
		return 0;
	len = strlen(dir);
	if (len == 1)
		return 1;
	if (dir[len - 1] == '/')
		return 0;
	return !maybe_unclean(dir, len) || is_clean(dir, len) ? len : 0;
}

/* Collapses ".", "..", repeated and trailing '/' of an absolute path in
 * place, as posixpath.normpath() does: exactly two leading slashes are kept
 * (POSIX leaves their meaning to the system), ".." at the root stays there. */
static void normalise(char *path)
{
	size_t slashes = strspn(path, "/");
	char *root = path + (slashes == 2 ? 2 : 1);
	char *out = root;
	const char *in = path + slashes;

	while (*in) {
		size_t len = strcspn(in, "/");

		if (len == 2 && in[0] == '.' && in[1] == '.') {
			while (out > root && out[-1] != '/')
				out--;
			if (out > root)
				out--;
		} else if (!(len == 1 && in[0] == '.')) {
			if (out > root)
				*out++ = '/';
			memmove(out, in, len);
			out += len;
		}
		in += len;
		in += strspn(in, "/");
	}
	*out = '\0';
}

char *tfp_abspath(const char *path)
{
	char *abs;

	if (path[0] == '/') {
		abs = strdup(path);
		if (!abs)
			errno = ENOMEM;
	} else {
		char *cwd = tfp_getcwd();

		if (!cwd)
			return NULL;
		abs = tfp_path_join(cwd, path);
		free(cwd);
	}
	if (abs)
		normalise(abs);
	return abs;
}

char *tfp_path_join(const char *dir, const char *name)
{
	size_t dlen = strlen(dir), nlen = strlen(name);
	int slash = dlen > 0 && dir[dlen - 1] != '/';
	char *path = malloc(dlen + (size_t)slash + nlen + 1);

	if (!path) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(path, dir, dlen);
	if (slash)
		path[dlen] = '/';
	memcpy(path + dlen + (size_t)slash, name, nlen + 1);
	return path;
}

int tfp_check_affix(const char *s)
{
	if (s && strchr(s, '/')) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

const char *tfp_getenv(const char *name)
{
#ifdef HAVE_SECURE_GETENV
	return secure_getenv(name);
#else
	return getenv(name);
#endif
}

int tfp_lstat(const char *path, struct stat *st)
{
#ifdef HAVE_LSTAT
	return lstat(path, st);
#else
	return stat(path, st);
#endif
}
