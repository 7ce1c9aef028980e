/*
 * ChaCha20's block function one block at a time in 32-bit words, for
 * compilers and machines without 16-byte vectors (i386 before SSE2):
 * there chacha_vector.c's vectors would be split into slower pieces.
 */
#include "internal.h"

#include <string.h>

void tfp_chacha20_four(const uint32_t in[16], unsigned char out[TFP_CHACHA_FOUR])
{
	uint32_t s[16], x[16];
	int b, i, j;

	memcpy(s, in, sizeof s);
	for (b = 0; b < 4; b++, s[12]++) {
		memcpy(x, s, sizeof x);
		for (i = 0; i < 10; i++)
			TFP_CHACHA_DOUBLE_ROUND(x);
		for (j = 0; j < 16; j++)
			tfp_put_le32(out + 64 * b + 4 * j, x[j] + s[j]);
	}
	tfp_chacha20_wipe(s, sizeof s);
	tfp_chacha20_wipe(x, sizeof x);
}
