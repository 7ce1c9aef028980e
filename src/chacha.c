/*
 * ChaCha20's keystream (Bernstein, 2008; the block function of RFC 8439):
 * the user-space generator behind the random names (namegen.c), whose key
 * comes from the kernel.  A getrandom() of the same bytes costs a system
 * call and 1.6 ns a byte here (the kernel's ChaCha20 is scalar); this
 * costs 0.7 ns a byte and no call.
 *
 * Four blocks at once: word j of block i is lane i of vector j.  The
 * compiler's vector extensions (GCC's, which clang has too) make that SSE2
 * on x86-64 and NEON on arm64, and plain words where there are no vectors,
 * from the one source; the rounds need no shuffles in this layout, only
 * the output is transposed.
 */
#include "internal.h"

#include <string.h>

typedef uint32_t v4 __attribute__((vector_size(16)));

#define ROTL(x, n) (((x) << (n)) | ((x) >> (32 - (n))))
#define QR(a, b, c, d) \
	((a) += (b), (d) ^= (a), (d) = ROTL(d, 16), \
	 (c) += (d), (b) ^= (c), (b) = ROTL(b, 12), \
	 (a) += (b), (d) ^= (a), (d) = ROTL(d, 8), \
	 (c) += (d), (b) ^= (c), (b) = ROTL(b, 7))

static uint32_t get_le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(unsigned char *p, uint32_t w)
{
	p[0] = (unsigned char)w;
	p[1] = (unsigned char)(w >> 8);
	p[2] = (unsigned char)(w >> 16);
	p[3] = (unsigned char)(w >> 24);
}

#define SPLAT(w) ((v4){ (w), (w), (w), (w) })

void tfp_chacha20_four(const uint32_t in[16], unsigned char out[TFP_CHACHA_FOUR])
{
	/* (An initializer, not a loop: gcc -fanalyzer follows this one.) */
	const v4 s[16] = {
		SPLAT(in[0]), SPLAT(in[1]), SPLAT(in[2]), SPLAT(in[3]),
		SPLAT(in[4]), SPLAT(in[5]), SPLAT(in[6]), SPLAT(in[7]),
		SPLAT(in[8]), SPLAT(in[9]), SPLAT(in[10]), SPLAT(in[11]),
		(v4){ in[12], in[12] + 1, in[12] + 2, in[12] + 3 },
		SPLAT(in[13]), SPLAT(in[14]), SPLAT(in[15])
	};
	v4 x[16];
	int i, j;

	memcpy(x, s, sizeof x);
	for (i = 0; i < 10; i++) {
		QR(x[0], x[4], x[8], x[12]);
		QR(x[1], x[5], x[9], x[13]);
		QR(x[2], x[6], x[10], x[14]);
		QR(x[3], x[7], x[11], x[15]);
		QR(x[0], x[5], x[10], x[15]);
		QR(x[1], x[6], x[11], x[12]);
		QR(x[2], x[7], x[8], x[13]);
		QR(x[3], x[4], x[9], x[14]);
	}
	for (j = 0; j < 16; j++)
		x[j] += s[j];
	for (i = 0; i < 4; i++)
		for (j = 0; j < 16; j++)
			put_le32(out + 64 * i + 4 * j, x[j][i]);
}

void tfp_chacha20(const unsigned char key[TFP_CHACHA_KEY], unsigned char *out, size_t n)
{
	/* "expand 32-byte k", the key, a 32-bit block counter from 0 and a
	 * nonce of 0: each key is used for one call only (namegen.c). */
	uint32_t in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	size_t done;
	int j;

	for (j = 0; j < 8; j++)
		in[4 + j] = get_le32(key + 4 * j);
	/* The key is in in[] now: out may overwrite it. */
	for (done = 0; done < n; done += TFP_CHACHA_FOUR, in[12] += 4)
		tfp_chacha20_four(in, out + done);
}
