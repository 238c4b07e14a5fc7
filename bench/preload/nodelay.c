/* bench/preload/nodelay.c -- LD_PRELOAD shim for make bench: every TCP connection the program
   accepts gets TCP_NODELAY, as mxlabd's do. Part (b) runs a second NSD with it, to show how
   much of NSD's CPU per TCP query at a fixed rate comes from leaving Nagle's algorithm on
   (replies held until the client's next query acknowledges the previous one, then sent from
   the client's own CPU) rather than from the server's code. */

#include <dlfcn.h>
#include <stddef.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

int accept(int fd, struct sockaddr *addr, socklen_t *len);
int accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags);

/* fd is a new connection (or -1): no Nagle on it. */
static int
nodelay(int fd)
{
	int on = 1;

	if (fd >= 0)
		(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on));
	return fd;
}

int
accept(int fd, struct sockaddr *addr, socklen_t *len)
{
	static int (*real)(int, struct sockaddr *, socklen_t *);

	if (real == NULL)
		real = (int (*)(int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "accept");
	return real ? nodelay(real(fd, addr, len)) : -1;
}

int
accept4(int fd, struct sockaddr *addr, socklen_t *len, int flags)
{
	static int (*real)(int, struct sockaddr *, socklen_t *, int);

	if (real == NULL)
		real =
		    (int (*)(int, struct sockaddr *, socklen_t *, int))dlsym(RTLD_NEXT, "accept4");
	return real ? nodelay(real(fd, addr, len, flags)) : -1;
}
