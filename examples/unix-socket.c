/* A private Unix socket: tempfile_mkunique inside a TemporaryDirectory.
 *
 * A server wants a socket only its own user can reach, at a name nobody
 * can guess or take first.  The directory is made 0700 (nobody else can
 * even look inside), and tempfile_mkunique calls bind() with fresh random
 * names until one is free: bind() says EADDRINUSE for a taken name, and
 * the next is tried.  The directory, and the socket in it, go away at exit
 * and on SIGINT/SIGTERM.  The program talks to itself once to show the
 * socket works, and prints its path.
 *
 * Build: cc unix-socket.c $(pkg-config --cflags --libs tempfile)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <tempfile.h>

struct sock {
	const char *dir;
	int fd;
	struct sockaddr_un sa;
};

/* The create callback: bind at dir/name (a socket address is a path, so
 * dirfd cannot be used; the directory is ours and 0700, so the path is
 * safe to use). */
static int bind_in(int dirfd, const char *name, void *arg)
{
	struct sock *s = arg;
	int n;

	(void)dirfd;
	memset(&s->sa, 0, sizeof s->sa);
	s->sa.sun_family = AF_UNIX;
	n = snprintf(s->sa.sun_path, sizeof s->sa.sun_path, "%s/%s", s->dir, name);
	if (n < 0 || (size_t)n >= sizeof s->sa.sun_path)
		return -1;
	return bind(s->fd, (struct sockaddr *)&s->sa, sizeof s->sa);
}

int main(void)
{
	tempfile_dir *d = tempfile_dir_new(NULL, "sock-", NULL, TEMPFILE_CLEANUP_AT_EXIT);
	struct sock s;
	char *name, buf[6] = "";
	int client, conn;

	if (!d) {
		perror("tempfile_dir_new");
		return 1;
	}
	s.dir = tempfile_dir_name(d);
	s.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (s.fd < 0 || tempfile_mkunique(tempfile_dir_fd(d), ".sock", NULL, bind_in, &s, &name) < 0 ||
	    listen(s.fd, 1) < 0) {
		perror("socket");
		return 1;
	}
	client = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (client < 0 || connect(client, (struct sockaddr *)&s.sa, sizeof s.sa) < 0 ||
	    (conn = accept(s.fd, NULL, NULL)) < 0 || write(client, "hello", 5) != 5 ||
	    read(conn, buf, 5) != 5) {
		perror("talk");
		return 1;
	}
	printf("%s/%s %s\n", s.dir, name, buf);
	close(conn);
	close(client);
	close(s.fd);
	free(name);
	return tempfile_dir_close(d) < 0;
}
