// The least a UDP DNS server can do, as a floor for the tail run
// (bench/zone-scale.ts): one thread, epoll and recvmmsg/sendmmsg like
// pulsedns's batched path, no lookup at all. Each query comes back with
// QR and AA set and one fixed A record after its question. Whatever p99
// this reaches on core 0 at the tail's rate is what the machine (its
// host's pauses, the wake-up of an idle vCPU, dnsperf on the other core)
// leaves to any server; the gap above it is the server's own.
// Usage: responder PORT (binds 127.0.0.1); prints "ready" once bound.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BATCH 64
#define SLOT 4096

static const unsigned char RECORD[] = {0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x0e, 0x10, 0, 4, 192, 0, 2, 10};

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
  struct sockaddr_in at = {.sin_family = AF_INET, .sin_port = htons((unsigned short)atoi(argv[1]))};
  inet_pton(AF_INET, "127.0.0.1", &at.sin_addr);
  if (fd < 0 || bind(fd, (struct sockaddr *)&at, sizeof at) != 0) {
    perror("responder: bind");
    return 1;
  }
  int ep = epoll_create1(0);
  struct epoll_event want = {.events = EPOLLIN};
  epoll_ctl(ep, EPOLL_CTL_ADD, fd, &want);
  static unsigned char buf[BATCH][SLOT + sizeof RECORD];
  static struct mmsghdr msgs[BATCH];
  static struct iovec iov[BATCH];
  static struct sockaddr_storage from[BATCH];
  puts("ready");
  fflush(stdout);
  // Bounded like every bench process: it stops by itself.
  time_t until = time(NULL) + 600;
  while (time(NULL) < until) {
    struct epoll_event ev;
    if (epoll_wait(ep, &ev, 1, 1000) <= 0) continue;
    for (;;) {
      for (int i = 0; i < BATCH; i++) {
        iov[i].iov_base = buf[i];
        iov[i].iov_len = SLOT;
        memset(&msgs[i].msg_hdr, 0, sizeof msgs[i].msg_hdr);
        msgs[i].msg_hdr.msg_name = &from[i];
        msgs[i].msg_hdr.msg_namelen = sizeof from[i];
        msgs[i].msg_hdr.msg_iov = &iov[i];
        msgs[i].msg_hdr.msg_iovlen = 1;
      }
      int n = recvmmsg(fd, msgs, BATCH, MSG_DONTWAIT, NULL);
      if (n <= 0) break;
      int out = 0;
      for (int i = 0; i < n; i++) {
        unsigned len = msgs[i].msg_len;
        if (len < 12 || len > SLOT) continue;
        unsigned char *q = buf[i];
        q[2] |= 0x84;
        q[7] = 1;
        memcpy(q + len, RECORD, sizeof RECORD);
        iov[i].iov_len = len + sizeof RECORD;
        if (out != i) msgs[out] = msgs[i];
        out++;
      }
      if (out) sendmmsg(fd, msgs, (unsigned)out, 0);
      if (n < BATCH) break;
    }
  }
  return 0;
}
