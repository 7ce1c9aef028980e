/* A main() for a fuzz target built without libFuzzer: runs the inputs in
 * the files given (a directory: every file in it), or with no arguments
 * the target's seed corpus, $top_srcdir/tests/fuzz/corpus/<target>, the
 * target being the program's name less "replay_".  Fails when there is
 * nothing to run: a replay of nothing proves nothing. */
#include "fuzz.h"

#include <dirent.h>
#include <libgen.h>

struct input {
	char *path;
	uint8_t *data;
	size_t size;
};

static struct input *inputs;
static size_t n_inputs;

static void load_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	struct input *in;
	size_t cap = 0, r;

	if (!f) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	inputs = realloc(inputs, (n_inputs + 1) * sizeof *inputs);
	FZ_CHECK(inputs != NULL);
	in = &inputs[n_inputs++];
	in->path = strdup(path);
	in->data = NULL;
	in->size = 0;
	do {
		if (in->size == cap) {
			cap = cap ? 2 * cap : 4096;
			in->data = realloc(in->data, cap);
			FZ_CHECK(in->data != NULL);
		}
		r = fread(in->data + in->size, 1, cap - in->size, f);
		in->size += r;
	} while (r > 0);
	FZ_CHECK(!ferror(f));
	fclose(f);
}

static void load(const char *path)
{
	struct dirent **names;
	struct stat st;
	int n, i;

	if (stat(path, &st) == 0 && !S_ISDIR(st.st_mode)) {
		load_file(path);
		return;
	}
	n = scandir(path, &names, NULL, alphasort);
	if (n < 0) {
		fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
		exit(1);
	}
	for (i = 0; i < n; i++) {
		char *p = fz_join(path, names[i]->d_name);

		if (names[i]->d_name[0] != '.')
			load_file(p);
		free(p);
		free(names[i]);
	}
	free(names);
}

int main(int argc, char **argv)
{
	char *self = strdup(argv[0]), *target = basename(self);
	size_t i;
	int k;

	if (!strncmp(target, "lt-", 3))
		target += 3;
	if (!strncmp(target, "replay_", 7))
		target += 7;
	if (argc > 1) {
		for (k = 1; k < argc; k++)
			load(argv[k]);
	} else {
		const char *top = getenv("top_srcdir");
		char *corpus = fz_join(top ? top : ".", "tests/fuzz/corpus");
		char *dir = fz_join(corpus, target);

		load(dir);
		free(dir);
		free(corpus);
	}
	if (n_inputs == 0) {
		fprintf(stderr, "replay_%s: no inputs\n", target);
		return 1;
	}
	/* Inputs are read first: setting up may drop root's privileges. */
	LLVMFuzzerInitialize(&argc, &argv);
	for (i = 0; i < n_inputs; i++) {
		LLVMFuzzerTestOneInput(inputs[i].data, inputs[i].size);
		free(inputs[i].data);
		free(inputs[i].path);
	}
	printf("replay_%s: %zu inputs, no failure\n", target, n_inputs);
	free(inputs);
	free(self);
	return 0;
}
