/* File-system chores the benchmarks share, all untimed.  See fsutil.c. */
#ifndef BENCH_FSUTIL_H
#define BENCH_FSUTIL_H

/* Makes a private directory PREFIX* in parent (NULL: the default
 * directory) for a run, removed at exit or on a fatal signal if the run
 * stops before fs_private_dir_end(): its malloc()ed path in *dir and a
 * descriptor in *fd.  Also sets $TMPDIR to it, for GLib and Python, which
 * choose their directory from there.  0, or -1 with errno (reported). */
int fs_private_dir(const char *parent, const char *prefix, char **dir, int *fd);

/* Removes the private directory, which must be empty (else it says so and
 * removes what is left): 0, or -1 (reported). */
int fs_private_dir_end(char *dir, int fd);

/* Removes every entry (none of them directories) in the directory dir_fd:
 * for the creates that report no name.  0, or -1 with errno. */
int fs_remove_entries(int dir_fd);

/* Writes a fresh name "fNNNNNNNN" (never used before in this process) into
 * buf of at least 16 bytes. */
void fs_fresh_name(char *buf);

/* n fresh names, the floors' "ready names". */
void fs_fresh_names(char (*names)[16], long n);

/* n malloc()ed copies of s (glibc's templates, which mkstemp overwrites):
 * 0, or -1 with errno. */
int fs_copies(char **out, const char *s, long n);

#endif /* BENCH_FSUTIL_H */
