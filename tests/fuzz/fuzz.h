/* Shared by the fuzz targets (tests/fuzz/README): the input reader, the
 * per-process working directory, the descriptor check, and the checks
 * themselves, which abort (libFuzzer reports that as a crash). */
#ifndef FUZZ_H
#define FUZZ_H

/* SEEK_DATA, mknodat(S_IFSOCK) and the like (first in every target). */
#ifndef _GNU_SOURCE
# define _GNU_SOURCE 1
#endif

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/stat.h>

/* What libFuzzer calls; replay.c calls them the same way. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A failed check: says what and where, then aborts. */
#define FZ_CHECK(cond) do { \
	if (!(cond)) \
		fz_fail(__FILE__, __LINE__, #cond, errno); \
} while (0)
void fz_fail(const char *file, int line, const char *what, int err)
	__attribute__((noreturn));

/* The input, read from the front; past its end every read gives 0. */
struct fz_in {
	const uint8_t *p;
	size_t n;
};
unsigned fz_u8(struct fz_in *in);
unsigned fz_u16(struct fz_in *in);
uint32_t fz_u32(struct fz_in *in);
uint64_t fz_u64(struct fz_in *in);
int fz_more(const struct fz_in *in);
/* Up to n bytes of the input into buf (then zeros); returns n. */
size_t fz_bytes(struct fz_in *in, void *buf, size_t n);

/* Sets up once per process: a private base directory (made with mkdtemp
 * under $TMPDIR, or /tmp; removed at exit), which becomes the current
 * directory and the library's default directory.  As root, the process
 * then drops to uid and gid 65534 (unless FUZZ_AS_ROOT is set), so that
 * permissions mean something. */
void fz_setup(void);
const char *fz_base(void);

/* One iteration: a new, empty directory under the base (malloc()ed
 * path), and the count of open descriptors at its start. */
struct fz_iter {
	char *dir;
	int fds;
};
void fz_begin(struct fz_iter *it);
/* Checks that no descriptor is left open, that the base holds nothing
 * but the iteration's directory, then removes that directory (whatever
 * is in it, whatever its permissions) and frees it. */
void fz_end(struct fz_iter *it);

/* Open descriptors in this process. */
int fz_count_fds(void);
/* Removes a tree made by a target, as its owner (directories are made
 * searchable and writable first); 0 or -1. */
int fz_rmtree(const char *path);
/* Entries in dir besides . and .., or -1. */
int fz_count_entries(const char *dir);
/* malloc()ed "a/b"; never NULL. */
char *fz_join(const char *a, const char *b);
/* Checks that path holds exactly the n bytes at want. */
void fz_check_file(const char *path, const void *want, size_t n);

/* A name matches the contract: prefix, TEMPFILE_NAME_LEN characters of
 * the name alphabet, suffix. */
int fz_name_matches(const char *name, const char *prefix, const char *suffix);

/* A description of everything below dir (each entry's relative path,
 * mode, inode, link count, size; for all but directories, the time of the
 * last change of contents and a checksum of a regular file's bytes), one
 * line each, sorted, with "\n" first; malloc()ed. */
char *fz_snapshot(const char *dir);
/* Whether every line of snapshot after is in snapshot before (nothing new
 * appeared, nothing changed, though entries may have gone); says which
 * line is new on stderr. */
int fz_snapshot_within(const char *after, const char *before);

#endif
