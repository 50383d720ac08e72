// Workload (c) of issue 9: a client that sends a request every INTERVAL_MS over one persistent TCP connection and
// records every answer, so that the longest gap between answers is the downtime a user saw.
//
//   probeclient IP PORT INTERVAL_MS VERIFY_EVERY
//
// Every VERIFY_EVERY-th request is 'V' (checksum recomputed over the service's whole memory), the others 'R'. Prints
// one line per answer: "ok T_US COUNTER STEPS CHECKSUM KIND" (T_US: monotonic microseconds since start), and
// "reconnect T_US REASON" when the connection broke and was opened again (the same service, a new connection). A read
// waits at most 10 s. On SIGTERM/SIGINT it prints "summary answers=N reconnects=R max_gap_us=G" and exits.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t stop;
static void on_signal(int s) { (void)s; stop = 1; }

static uint64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int connect_to(const char *ip, int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port)};
  inet_pton(AF_INET, ip, &addr.sin_addr);
  struct timeval timeout = {.tv_sec = 10};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  int one = 1;
  setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(s, (struct sockaddr *)&addr, sizeof addr)) {
    close(s);
    return -1;
  }
  return s;
}

static int read_all(int s, void *buffer, size_t size) {
  size_t done = 0;
  while (done < size) {
    ssize_t n = read(s, (char *)buffer + done, size - done);
    if (n < 0 && errno == EINTR && !stop) continue;
    if (n <= 0) return -1;
    done += n;
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s IP PORT INTERVAL_MS VERIFY_EVERY\n", argv[0]);
    return 2;
  }
  const char *ip = argv[1];
  int port = atoi(argv[2]);
  int interval_us = atoi(argv[3]) * 1000;
  int verify_every = atoi(argv[4]);
  struct sigaction sa = {.sa_handler = on_signal};
  sigaction(SIGTERM, &sa, NULL);
  sigaction(SIGINT, &sa, NULL);
  signal(SIGPIPE, SIG_IGN);
  setvbuf(stdout, NULL, _IOLBF, 0);

  uint64_t start = now_us(), last = 0, max_gap = 0, answers = 0, reconnects = 0, sent = 0;
  int s = -1;
  while (!stop) {
    if (s < 0) {
      s = connect_to(ip, port);
      if (s < 0) {
        usleep(interval_us);
        continue;
      }
      if (answers > 0) {
        reconnects++;
        printf("reconnect %llu connection-broken\n", (unsigned long long)(now_us() - start));
      }
    }
    char request = (verify_every > 0 && ++sent % verify_every == 0) ? 'V' : 'R';
    uint64_t answer[3];
    if (write(s, &request, 1) != 1 || read_all(s, answer, sizeof answer)) {
      if (stop) break;
      close(s);
      s = -1;
      continue;
    }
    uint64_t t = now_us() - start;
    if (answers++ > 0 && t - last > max_gap) max_gap = t - last;
    last = t;
    printf("ok %llu %llu %llu %llu %c\n", (unsigned long long)t, (unsigned long long)answer[0], (unsigned long long)answer[1],
           (unsigned long long)answer[2], request);
    usleep(interval_us);
  }
  printf("summary answers=%llu reconnects=%llu max_gap_us=%llu\n", (unsigned long long)answers, (unsigned long long)reconnects,
         (unsigned long long)max_gap);
  return 0;
}
