/*
 * ChaCha20's block function, four blocks at once in 16-byte vectors:
 * word j of block i is lane i of vector j, so the rounds need no shuffles
 * and only the output is transposed.  The compiler's vector extensions
 * (GCC's, which clang has too) make that SSE2 on x86-64 and NEON on arm64
 * from one source.  Without such vectors GCC would split them into
 * pieces, slower than plain words: configure takes chacha_scalar.c then.
 */
#include "internal.h"

#include <string.h>

typedef uint32_t v4 __attribute__((vector_size(16)));

#define SPLAT(w) ((v4){ (w), (w), (w), (w) })

void tfp_chacha20_four(const uint32_t in[16], unsigned char out[TFP_CHACHA_FOUR])
{
	/* (An initializer, not a loop: gcc -fanalyzer follows this one.) */
	v4 s[16] = {
		SPLAT(in[0]), SPLAT(in[1]), SPLAT(in[2]), SPLAT(in[3]),
		SPLAT(in[4]), SPLAT(in[5]), SPLAT(in[6]), SPLAT(in[7]),
		SPLAT(in[8]), SPLAT(in[9]), SPLAT(in[10]), SPLAT(in[11]),
		(v4){ in[12], in[12] + 1, in[12] + 2, in[12] + 3 },
		SPLAT(in[13]), SPLAT(in[14]), SPLAT(in[15])
	};
	v4 x[16];
	int i, j;

	memcpy(x, s, sizeof x);
	for (i = 0; i < 10; i++)
		TFP_CHACHA_DOUBLE_ROUND(x);
	for (j = 0; j < 16; j++)
		x[j] += s[j];
	for (i = 0; i < 4; i++)
		for (j = 0; j < 16; j++)
			tfp_put_le32(out + 64 * i + 4 * j, x[j][i]);
	/* What the registers spilled of the key stays here otherwise. */
	tfp_chacha20_wipe(s, sizeof s);
	tfp_chacha20_wipe(x, sizeof x);
}
