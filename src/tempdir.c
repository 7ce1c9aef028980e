/*
 * The default directory and prefix: Python's gettempdir(), tempdir,
 * gettempprefix() and template.
 *
 * Settings are published as pointers to interned strings that are never
 * freed, so a string handed out stays valid whatever other threads set
 * later, and reading a setting takes no lock.
 */
#include "internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Names tried per directory when the first ones are taken. */
#define PROBE_TRIES 10

static const char default_prefix[] = "tmp";
static const char *const fixed_dirs[] = { "/tmp", "/var/tmp", "/usr/tmp" };
static const char *const env_dirs[] = { "TMPDIR", "TEMP", "TMP" };

struct interned {
	struct interned *next;
	char s[];
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct interned *interned; /* under lock */
static _Atomic(const char *) tempdir;
static _Atomic(const char *) prefix;

/* Called with lock held.  Distinct values stay bounded by what the program
 * sets, so repeated settings cost no memory. */
static const char *intern(const char *s)
{
	struct interned *i;
	size_t len = strlen(s);

	for (i = interned; i; i = i->next)
		if (strcmp(i->s, s) == 0)
			return i->s;
	i = malloc(sizeof *i + len + 1);
	if (!i) {
		errno = ENOMEM;
		return NULL;
	}
	memcpy(i->s, s, len + 1);
	i->next = interned;
	interned = i;
	return i->s;
}

static int publish(_Atomic(const char *) *slot, const char *value)
{
	const char *s = NULL;

	pthread_mutex_lock(&lock);
	if (value)
		s = intern(value);
	if (s || !value)
		atomic_store_explicit(slot, s, memory_order_release);
	pthread_mutex_unlock(&lock);
	return s || !value ? 0 : -1;
}

void tempfile_strv_free(char **strv)
{
	char **p;

	if (!strv)
		return;
	for (p = strv; *p; p++)
		free(*p);
	free(strv);
}

char **tempfile_candidate_tempdir_list(void)
{
	const size_t max = sizeof env_dirs / sizeof *env_dirs
	                   + sizeof fixed_dirs / sizeof *fixed_dirs + 2;
	char **list = calloc(max, sizeof *list);
	size_t n = 0, i;

	if (!list)
		goto nomem;
	for (i = 0; i < sizeof env_dirs / sizeof *env_dirs; i++) {
		const char *v = tfp_getenv(env_dirs[i]);

		if (v && *v && !(list[n++] = strdup(v)))
			goto nomem;
	}
	for (i = 0; i < sizeof fixed_dirs / sizeof *fixed_dirs; i++)
		if (!(list[n++] = strdup(fixed_dirs[i])))
			goto nomem;
	list[n] = tfp_getcwd();
	if (!list[n] && (errno == ENOMEM || !(list[n] = strdup("."))))
		goto nomem;
	return list;
nomem:
	tempfile_strv_free(list);
	errno = ENOMEM;
	return NULL;
}

/* Creates, writes and removes one file, as Python's probe does.  Whatever
 * fails, the file is removed before returning.  -1 with errno on failure. */
static int probe_once(const char *path)
{
	static const char data[4] = "blat";
	int fd = tfp_create_file(AT_FDCWD, path, 0);
	ssize_t w;
	int saved;

	if (fd < 0)
		return -1;
	w = write(fd, data, sizeof data);
	saved = w < 0 ? errno : EIO;
	if (close(fd) < 0 && w == (ssize_t)sizeof data) {
		saved = errno;
		w = -1;
	}
	if (unlink(path) < 0)
		return -1;
	if (w != (ssize_t)sizeof data) {
		errno = saved;
		return -1;
	}
	return 0;
}

static int probe_dir(const char *dir)
{
	struct tfp_template t;
	int i, r = -1;

	if (tfp_template_init(&t, NULL, default_prefix, dir, 0) < 0)
		return -1;
	for (i = 0; i < PROBE_TRIES; i++) {
		if (tfp_next_name(t.buf + t.name_off) < 0)
			break;
		r = probe_once(t.buf);
		if (r == 0 || errno != EEXIST)
			break;
	}
	free(t.buf);
	return r;
}

char *tempfile_get_default_tempdir(void)
{
	char **list = tempfile_candidate_tempdir_list();
	char *found = NULL;
	size_t i;

	if (!list)
		return NULL;
	for (i = 0; list[i] && !found; i++) {
		found = tfp_abspath(list[i]);
		if (found && probe_dir(found) < 0) {
			free(found);
			found = NULL;
		}
	}
	tempfile_strv_free(list);
	if (!found)
		errno = ENOENT;
	return found;
}

const char *tempfile_gettempdir(void)
{
	const char *dir = atomic_load_explicit(&tempdir, memory_order_acquire);
	char *probed;

	if (dir)
		return dir;
	/* Probe under the lock: concurrent first uses agree on one directory. */
	pthread_mutex_lock(&lock);
	dir = atomic_load_explicit(&tempdir, memory_order_acquire);
	if (!dir && (probed = tempfile_get_default_tempdir())) {
		dir = intern(probed);
		free(probed);
		atomic_store_explicit(&tempdir, dir, memory_order_release);
	}
	pthread_mutex_unlock(&lock);
	return dir;
}

int tempfile_settempdir(const char *dir)
{
	if (dir && !*dir) {
		errno = EINVAL;
		return -1;
	}
	return publish(&tempdir, dir);
}

const char *tempfile_gettempprefix(void)
{
	const char *p = atomic_load_explicit(&prefix, memory_order_acquire);

	return p ? p : default_prefix;
}

int tempfile_settempprefix(const char *pfx)
{
	if (tfp_check_affix(pfx) < 0)
		return -1;
	return publish(&prefix, pfx);
}
