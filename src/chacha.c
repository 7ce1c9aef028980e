/*
 * ChaCha20's keystream (Bernstein, 2008; the block function of RFC 8439):
 * the user-space generator behind the random names (namegen.c), whose key
 * comes from the kernel.  The four-block function is a backend:
 * chacha_vector.c where the compiler has 16-byte vectors (SSE2, NEON),
 * chacha_scalar.c elsewhere (configure.ac).
 */
#include "internal.h"

#include <string.h>

/* A memset() the compiler cannot drop for a buffer that dies after it. */
static void *(*const volatile wipe)(void *, int, size_t) = memset;

void tfp_chacha20_wipe(void *p, size_t n)
{
	wipe(p, 0, n);
}

void tfp_chacha20(const unsigned char key[TFP_CHACHA_KEY], unsigned char *out, size_t n)
{
	/* "expand 32-byte k", the key, a 32-bit block counter from 0 and a
	 * nonce of 0: each key is used for one call only (namegen.c). */
	uint32_t in[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 };
	size_t done;
	int j;

	for (j = 0; j < 8; j++)
		in[4 + j] = tfp_get_le32(key + 4 * j);
	/* The key is in in[] now: out may overwrite it. */
	for (done = 0; done < n; done += TFP_CHACHA_FOUR, in[12] += 4)
		tfp_chacha20_four(in, out + done);
	/* The old key, which gives the buffers made with it, is not left
	 * on the stack (the backends wipe their own copies). */
	tfp_chacha20_wipe(in, sizeof in);
}
