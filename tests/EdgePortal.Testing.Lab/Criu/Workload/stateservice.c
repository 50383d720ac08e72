// Workload (a) of issue 9: a request/response service holding M bytes of state with a controllable dirty-page rate.
//
//   stateservice PORT BYTES DIRTY_PAGES_PER_SECOND
//
// The state is BYTES/8 64-bit words, word i = mix(i) at start. Dirty step n (at DIRTY_PAGES_PER_SECOND steps per
// second, driven by the clock, never more than 50 ms of steps at once) writes mix(n + 0x1234567) into word
// (n % pages) * 512 + (n / pages) % 512: one page per step, every page in turn. The state after n steps is a pure
// function of n, so a test can model it. A running sum of all words (mod 2^64) is kept as the checksum.
//
// Protocol, over any number of persistent TCP connections: a request is one byte; 'R' answers the counter of requests
// served, the dirty steps done and the running checksum; 'V' answers the same with the checksum recomputed over the
// whole memory. Each answer is three little-endian uint64. Single-threaded (poll), no files: stdio goes to /dev/null
// so nothing grows after a dump, and it starts its own session (no terminal, not a shell job), as CRIU needs.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CLIENTS 16
#define WORDS_PER_PAGE 512

static uint64_t mix(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec / 1e9;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: %s PORT BYTES DIRTY_PAGES_PER_SECOND\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]);
  uint64_t words = strtoull(argv[2], NULL, 10) / 8;
  double rate = atof(argv[3]);
  uint64_t pages = words / WORDS_PER_PAGE;
  if (pages == 0) {
    fprintf(stderr, "state must be at least one page\n");
    return 2;
  }
  words = pages * WORDS_PER_PAGE;

  uint64_t *state = malloc(words * 8);
  if (!state) return 1;
  uint64_t sum = 0;
  for (uint64_t i = 0; i < words; i++) sum += state[i] = mix(i);

  int listener = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(port), .sin_addr.s_addr = htonl(INADDR_ANY)};
  if (bind(listener, (struct sockaddr *)&addr, sizeof addr) || listen(listener, 16)) {
    perror("bind/listen");
    return 1;
  }

  // Ready: detach from the caller's session and stdio only now, so start-up errors are still seen.
  fprintf(stdout, "listening %d\n", port);
  fflush(stdout);
  setsid();
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
  if (devnull > 2) close(devnull);

  struct pollfd fds[MAX_CLIENTS + 1];
  int nfds = 1;
  fds[0] = (struct pollfd){.fd = listener, .events = POLLIN};
  uint64_t counter = 0, steps = 0;
  double start = now(), due_at = start;

  for (;;) {
    int ready = poll(fds, nfds, rate > 0 ? 1 : -1);
    if (ready < 0 && errno != EINTR) return 1;

    if (rate > 0) {
      double t = now();
      if (t - due_at > 0.05) due_at = t - 0.05;  // no catching up after a freeze
      uint64_t due = (uint64_t)((t - due_at) * rate);
      for (uint64_t k = 0; k < due; k++, steps++) {
        uint64_t idx = (steps % pages) * WORDS_PER_PAGE + (steps / pages) % WORDS_PER_PAGE;
        uint64_t value = mix(steps + 0x1234567);
        sum += value - state[idx];
        state[idx] = value;
      }
      due_at += due / rate;
    }
    if (ready <= 0) continue;

    if ((fds[0].revents & POLLIN) && nfds <= MAX_CLIENTS) {
      int c = accept(listener, NULL, NULL);
      if (c >= 0) {
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        fds[nfds++] = (struct pollfd){.fd = c, .events = POLLIN};
      }
    }
    for (int i = 1; i < nfds; i++) {
      if (!fds[i].revents) continue;
      char request;
      ssize_t n = read(fds[i].fd, &request, 1);
      if (n <= 0) {
        close(fds[i].fd);
        fds[i--] = fds[--nfds];
        continue;
      }
      uint64_t answer[3] = {++counter, steps, sum};
      if (request == 'V') {
        uint64_t full = 0;
        for (uint64_t w = 0; w < words; w++) full += state[w];
        answer[2] = full;
      }
      if (write(fds[i].fd, answer, sizeof answer) != sizeof answer) {
        close(fds[i].fd);
        fds[i--] = fds[--nfds];
      }
    }
  }
}
