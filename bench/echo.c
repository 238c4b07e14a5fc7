/* bench/echo.c -- the floor of part (b) of make bench: a UDP "server" that does nothing but
   answer each datagram with itself (QR set), read and sent in batches with recvmmsg and
   sendmmsg as mxlabd does. What it costs per query at a fixed rate is what the kernel and
   the machine cost, which no server can go under.

     echo PORTFILE     (binds 127.0.0.1 on an ephemeral port and writes the port there) */

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#define ECHO_BATCH  32 /* datagrams per recvmmsg and sendmmsg, as in mxlabd */
#define ECHO_ROUNDS 2  /* recvmmsg calls per wake-up at most, as in mxlabd */
#define ECHO_BUF    4096

static uint8_t buf[ECHO_BATCH][ECHO_BUF];   /* datagram slots */
static struct sockaddr_in peer[ECHO_BATCH]; /* their senders */
static struct mmsghdr in[ECHO_BATCH];       /* recvmmsg vector */
static struct mmsghdr out[ECHO_BATCH];      /* sendmmsg vector */
static struct iovec in_iov[ECHO_BATCH];     /* each onto its slot */
static struct iovec out_iov[ECHO_BATCH];    /* each onto the bytes read */

/* Answer what is queued on fd, up to ECHO_ROUNDS batches. */
static void
echo_batches(int fd)
{
	for (int round = 0; round < ECHO_ROUNDS; round++) {
		int n;

		for (int i = 0; i < ECHO_BATCH; i++) {
			in_iov[i] = (struct iovec){buf[i], sizeof(buf[i])};
			in[i].msg_hdr = (struct msghdr){.msg_name = &peer[i],
			                                .msg_namelen = sizeof(peer[i]),
			                                .msg_iov = &in_iov[i],
			                                .msg_iovlen = 1};
		}
		n = recvmmsg(fd, in, ECHO_BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			return;
		for (int i = 0; i < n; i++) {
			if (in[i].msg_len >= 3)
				buf[i][2] |= 0x80; /* QR */
			out_iov[i] = (struct iovec){buf[i], in[i].msg_len};
			out[i].msg_hdr = (struct msghdr){.msg_name = &peer[i],
			                                 .msg_namelen = in[i].msg_hdr.msg_namelen,
			                                 .msg_iov = &out_iov[i],
			                                 .msg_iovlen = 1};
		}
		if (sendmmsg(fd, out, (unsigned)n, 0) < 0 && errno != EAGAIN)
			perror("echo: sendmmsg");
		if (n < ECHO_BATCH)
			return; /* the queue is empty */
	}
}

int
main(int argc, char **argv)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	struct epoll_event ev = {.events = EPOLLIN};
	char tmp[4096];
	int fd, ep;
	FILE *f;

	if (argc != 2) {
		fprintf(stderr, "usage: echo PORTFILE\n");
		return 2;
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL); /* dies with the bench that started it */
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	if (fd < 0 || ep < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("echo: socket");
		return 1;
	}
	/* whole or not at all: the bench reads it as soon as it is there */
	snprintf(tmp, sizeof(tmp), "%s.tmp", argv[1]);
	if ((f = fopen(tmp, "w")) == NULL || fprintf(f, "%d\n", ntohs(a.sin_port)) < 0 ||
	    fclose(f) != 0 || rename(tmp, argv[1]) != 0) {
		fprintf(stderr, "echo: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	for (;;) {
		struct epoll_event e;

		if (epoll_wait(ep, &e, 1, -1) > 0)
			echo_batches(fd);
	}
}
