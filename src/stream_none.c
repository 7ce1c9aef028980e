/* Without fopencookie or funopen no stream can read and write a spool in
 * memory: a spooled file rolls over to disk when asked for its stream. */
#include "internal.h"

FILE *tfp_spool_stream(tempfile *tf)
{
	if (tfp_spool_rollover(tf) < 0)
		return NULL;
	return tfp_fd_stream(tf->fd, tf->flags & TEMPFILE_APPEND);
}
