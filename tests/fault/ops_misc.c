/* The default directory and its probe, the names, cleanup_all. */
#include "config.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "tempfile.h"

/* v: 0 gettempdir() afresh, 1 get_default_tempdir(), 2 the candidates. */
static void op_tempdir(struct fx *x, int v)
{
	const char *dir = NULL;
	char *probed = NULL;
	char **list = NULL;

	fx_snap(x);
	tempfile_settempdir(NULL);
	FX_ARM(x);
	if (v == 0)
		dir = tempfile_gettempdir();
	else if (v == 1)
		dir = probed = tempfile_get_default_tempdir();
	else
		list = tempfile_candidate_tempdir_list();
	FX_DISARM(x);
	fx_same(x);
	if (v == 2) {
		if (!list)
			fx_failed(x);
		else
			FX_CHECK(x, list[0] && !strcmp(list[0], x->dir));
		tempfile_strv_free(list);
		return;
	}
	if (!dir)
		fx_failed(x);
	else
		FX_CHECK(x, dir[0] == '/' && (x->reached || !strcmp(dir, x->dir)));
	free(probed);
}

static void op_names(struct fx *x, int v)
{
	tempfile_names *names = NULL;
	char buf[TEMPFILE_NAME_LEN + 1];
	int r, i;

	TFP_UNUSED_ARG(v);
	FX_ARM(x);
	names = tempfile_names_new();
	for (i = 0, r = names ? 0 : -1; names && i < 40 && r == 0; i++)
		r = tempfile_names_next(names, buf, sizeof buf);
	FX_DISARM(x);
	if (r < 0)
		fx_failed(x);
	else
		FX_CHECK(x, strlen(buf) == TEMPFILE_NAME_LEN);
	tempfile_names_free(names);
}

/* cleanup_all with a file and a tree registered; it says nothing, and
 * the objects stay valid to close. */
static void op_cleanup_all(struct fx *x, int v)
{
	tempfile *tf = tempfile_named(NULL, NULL, x->dir, TEMPFILE_CLEANUP_AT_EXIT);
	tempfile_dir *d = tempfile_dir_new(NULL, NULL, x->dir, TEMPFILE_CLEANUP_AT_EXIT);
	int fd = d ? tempfile_dir_fd(d) : -1;

	TFP_UNUSED_ARG(v);
	if (!tf || fd < 0 || mkdirat(fd, "sub", 0700) < 0 || mkdirat(fd, "sub/in", 0) < 0) {
		perror("cleanup_all");
		abort();
	}
	FX_ARM(x);
	tempfile_cleanup_all();
	FX_DISARM(x);
	if (!x->reached)
		FX_CHECK(x, !fx_exists(tempfile_name(tf)) && !fx_exists(tempfile_dir_name(d)));
	tempfile_close(tf);
	tempfile_dir_close(d);
	if (x->reached) {
		x->may_leave = 1;
		fx_clear(x);
	}
}

const struct op ops_misc[] = {
	{ "gettempdir afresh", op_tempdir, 0, 1 },
	{ "get_default_tempdir", op_tempdir, 1, 0 },
	{ "candidate_tempdir_list", op_tempdir, 2, 0 },
	{ "names", op_names, 0, 0 },
	{ "cleanup_all", op_cleanup_all, 0, 0 },
	{ NULL, NULL, 0, 0 },
};
