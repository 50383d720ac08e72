// Workload (b) of issue 9: a message-consuming service holding M bytes of state, for MS2M message replay.
//
//   msgservice HOST PORT USER PASSWORD EXCHANGE QUEUE BYTES [REPORT_EXCHANGE [COST_US]]
//
// It consumes QUEUE (durable, bound to the fan-out EXCHANGE; both declared at connect) from the RabbitMQ broker at
// HOST:PORT with manual acks. A data message (no AMQP type) carries a sequence number as decimal text. The state is
// BYTES/8 64-bit words, word i = mix(i) at start; applying sequence number k replaces word mix(k) % words by
// mix(word ^ k) (applying a message twice gives another state), keeps a running sum of all words (mod 2^64) as the
// checksum, counts the applied messages and remembers the last sequence number applied. A message is applied only if
// its number is last + 1; one at or below last is a duplicate (acked, skipped, counted); one above last + 1 is applied
// and the numbers skipped are counted as lost. Every applied (or skipped) message is reported on REPORT_EXCHANGE, if
// given, as "SEQ TIME_US HOST a|d" (CLOCK_REALTIME, the broker connection's local address): the test's view of who
// processed what, and when. COST_US, if given, is the work one message costs (slept, not spun): it bounds the rate μ
// at which the service applies messages, so that a replay has a backlog to catch up with.
//
// The migration is driven by control messages (AMQP type edgeportal.*), each answered on its reply-to queue with the
// correlation id and the state ("what=... last=... counter=... sum=... dups=... lost=... queue=... host=..."):
//   edgeportal.marker  "replay-queue=R"  sent through EXCHANGE right after R is bound to it: consumed from QUEUE, it
//                      says every message published before R existed has been applied; the service remembers R.
//                      A process restored from a dump taken after this answer finds its broker connection closed
//                      (CRIU --tcp-close), reconnects and consumes R instead of QUEUE: it replays what arrived since.
//                      (In R itself the marker is skipped.)
//   edgeportal.dumped  sent to QUEUE after the dump: the source forgets R (it is not the restored copy).
//   edgeportal.pause   "resume-queue=Q"  sent to QUEUE: answered with the final last, then the service stops consuming
//                      QUEUE (deliveries still in flight are requeued, unapplied) and waits on Q.
//   edgeportal.resume  on Q: consume QUEUE again (a rolled-back migration).  edgeportal.exit on Q: leave (so does a
//                      paused service whose Q is gone).
//   edgeportal.reach   "until=S"  sent to R: answered once last >= S (the paused source's last): the drain is over.
//   edgeportal.switch  "until=S"  sent to R: once last >= S, stop consuming R and consume QUEUE from then on, skipping
//                      what was applied already; answered when done.
//                      R is a priority queue and these two come with a higher priority than data: they overtake the
//                      backlog, so each is answered when the copy reaches S, not when it reaches the end of R.
//   edgeportal.status  answered with "memory=", the checksum recomputed over the whole state.
// Single-threaded, no files: stdio goes to /dev/null once it consumes, and it starts its own session (no terminal, not a
// shell job), as CRIU needs. Any broker error (a restored copy's closed socket included) means: reconnect.
#define _GNU_SOURCE
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NAME 256

static struct {
  uint64_t *w, words, sum, counter, last, dups, lost;
  char replay[NAME];  // the replay queue to consume after a reconnect (set by a marker from QUEUE)
  char resume[NAME];  // paused: the queue waited on
  int paused;
  int switch_pending, reach_pending;
  uint64_t switch_until, reach_until;
  char switch_reply[NAME], switch_corr[NAME], reach_reply[NAME], reach_corr[NAME];
} s;

static const char *broker_host, *user, *password, *exchange, *queue, *reports;
static int broker_port;
static long cost_us;
static amqp_connection_state_t conn;
static char consuming[NAME], consumer_tag[NAME], host[64] = "?";

static uint64_t mix(uint64_t x) {
  uint64_t z = x + 0x9E3779B97F4A7C15ull;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

static void apply(uint64_t seq) {
  uint64_t i = mix(seq) % s.words, old = s.w[i], v = mix(old ^ seq);
  s.w[i] = v;
  s.sum += v - old;
  s.counter++;
  s.last = seq;
}

static int64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int ok(amqp_rpc_reply_t r) { return r.reply_type == AMQP_RESPONSE_NORMAL; }

static void copy_bytes(char *to, amqp_bytes_t b) {
  size_t n = b.len < NAME - 1 ? b.len : NAME - 1;
  memcpy(to, b.bytes, n);
  to[n] = 0;
}

// The value of "key=" in a control message's body, or "".
static void field(const char *body, const char *key, char *out) {
  out[0] = 0;
  const char *p = strstr(body, key);
  if (!p) return;
  p += strlen(key);
  size_t n = strcspn(p, " \n");
  if (n >= NAME) n = NAME - 1;
  memcpy(out, p, n);
  out[n] = 0;
}

static void reply(const char *to, const char *corr, const char *what, int memory) {
  if (!to[0]) return;
  uint64_t full = 0;
  if (memory)
    for (uint64_t i = 0; i < s.words; i++) full += s.w[i];
  char body[1024];
  int n = snprintf(body, sizeof body,
                   "what=%s last=%" PRIu64 " counter=%" PRIu64 " sum=%" PRIu64 " dups=%" PRIu64 " lost=%" PRIu64
                   " queue=%s host=%s",
                   what, s.last, s.counter, s.sum, s.dups, s.lost, consuming, host);
  if (memory) snprintf(body + n, sizeof body - n, " memory=%" PRIu64, full);
  amqp_basic_properties_t props = {._flags = AMQP_BASIC_CORRELATION_ID_FLAG, .correlation_id = amqp_cstring_bytes(corr)};
  amqp_basic_publish(conn, 1, amqp_empty_bytes, amqp_cstring_bytes(to), 0, 0, &props, amqp_cstring_bytes(body));
}

static void report(uint64_t seq, char kind) {
  if (!reports) return;
  char body[128];
  snprintf(body, sizeof body, "%" PRIu64 " %" PRId64 " %s %c", seq, now_us(), host, kind);
  amqp_basic_publish(conn, 1, amqp_cstring_bytes(reports), amqp_empty_bytes, 0, 0, NULL, amqp_cstring_bytes(body));
}

static int consume(const char *q) {
  amqp_basic_consume_ok_t *c = amqp_basic_consume(conn, 1, amqp_cstring_bytes(q), amqp_empty_bytes, 0, 0, 0, amqp_empty_table);
  if (!c) return -1;
  copy_bytes(consumer_tag, c->consumer_tag);
  snprintf(consuming, sizeof consuming, "%s", q);
  return 0;
}

static int cancel(void) {
  if (!consumer_tag[0]) return 0;
  amqp_basic_cancel_ok_t *c = amqp_basic_cancel(conn, 1, amqp_cstring_bytes(consumer_tag));
  consumer_tag[0] = 0;
  return c ? 0 : -1;
}

// Whether queue q exists: a passive declare on channel 2, which the broker closes when it does not.
static int exists(const char *q) {
  if (!amqp_channel_open(conn, 2)) return -1;
  amqp_queue_declare(conn, 2, amqp_cstring_bytes(q), 1, 0, 0, 0, amqp_empty_table);
  amqp_rpc_reply_t r = amqp_get_rpc_reply(conn);
  if (ok(r)) {
    amqp_channel_close(conn, 2, AMQP_REPLY_SUCCESS);
    return 1;
  }
  if (r.reply_type == AMQP_RESPONSE_SERVER_EXCEPTION && r.reply.id == AMQP_CHANNEL_CLOSE_METHOD) {
    amqp_channel_close_ok_t close_ok = {0};
    amqp_send_method(conn, 2, AMQP_CHANNEL_CLOSE_OK_METHOD, &close_ok);
    return 0;
  }
  return -1;
}

static void disconnect(void) {
  if (!conn) return;
  amqp_destroy_connection(conn);  // the socket may be dead already (a restored copy's): nothing to say to the broker
  conn = NULL;
  consumer_tag[0] = 0;
}

// Connects, declares the topology, and consumes what the state says: the resume queue (paused), the replay queue
// (a restored copy, while it still exists) or QUEUE.
static int connect_broker(void) {
  conn = amqp_new_connection();
  amqp_socket_t *socket = amqp_tcp_socket_new(conn);
  struct timeval timeout = {2, 0};
  if (!socket || amqp_socket_open_noblock(socket, broker_host, broker_port, &timeout)) return -1;
  // consumer_cancel_notify: the broker tells the service when the queue it consumes is deleted (it then reconnects).
  amqp_table_entry_t capability = {.key = amqp_cstring_bytes("consumer_cancel_notify"), .value = {.kind = AMQP_FIELD_KIND_BOOLEAN, .value.boolean = 1}};
  amqp_table_entry_t property = {.key = amqp_cstring_bytes("capabilities"), .value = {.kind = AMQP_FIELD_KIND_TABLE, .value.table = {1, &capability}}};
  amqp_table_t properties = {1, &property};
  if (!ok(amqp_login_with_properties(conn, "/", 0, 131072, 0, &properties, AMQP_SASL_METHOD_PLAIN, user, password))) return -1;
  struct sockaddr_in local;
  socklen_t len = sizeof local;
  if (!getsockname(amqp_get_sockfd(conn), (struct sockaddr *)&local, &len)) inet_ntop(AF_INET, &local.sin_addr, host, sizeof host);
  if (!amqp_channel_open(conn, 1)) return -1;
  if (!amqp_basic_qos(conn, 1, 0, 10, 0)) return -1;
  amqp_exchange_declare(conn, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes("fanout"), 0, 1, 0, 0, amqp_empty_table);
  if (!ok(amqp_get_rpc_reply(conn))) return -1;
  amqp_queue_declare(conn, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, amqp_empty_table);
  if (!ok(amqp_get_rpc_reply(conn))) return -1;
  amqp_queue_bind(conn, 1, amqp_cstring_bytes(queue), amqp_cstring_bytes(exchange), amqp_empty_bytes, amqp_empty_table);
  if (!ok(amqp_get_rpc_reply(conn))) return -1;
  if (reports) {
    amqp_exchange_declare(conn, 1, amqp_cstring_bytes(reports), amqp_cstring_bytes("fanout"), 0, 0, 0, 0, amqp_empty_table);
    if (!ok(amqp_get_rpc_reply(conn))) return -1;
  }
  const char *q = queue;
  if (s.paused) {
    int e = exists(s.resume);
    if (e < 0) return -1;
    // Paused with no resume queue left: the migration that paused it is over and the copy serves QUEUE; consuming it
    // too would split its messages between the two. Leave.
    if (!e) exit(0);
    q = s.resume;
  } else if (s.replay[0]) {
    int e = exists(s.replay);
    if (e < 0) return -1;
    if (e) q = s.replay;
    else s.replay[0] = 0;  // the migration was rolled back: serve QUEUE
  }
  return consume(q);
}

static void switch_to_queue(void) {
  if (cancel()) return;
  s.replay[0] = 0;
  s.switch_pending = 0;
  if (consume(queue)) return;
  reply(s.switch_reply, s.switch_corr, "switched", 0);
}

static void handle(amqp_envelope_t *e) {
  amqp_basic_properties_t *p = &e->message.properties;
  char type[NAME] = "", reply_to[NAME] = "", corr[NAME] = "", body[NAME], arg[NAME];
  if (p->_flags & AMQP_BASIC_TYPE_FLAG) copy_bytes(type, p->type);
  if (p->_flags & AMQP_BASIC_REPLY_TO_FLAG) copy_bytes(reply_to, p->reply_to);
  if (p->_flags & AMQP_BASIC_CORRELATION_ID_FLAG) copy_bytes(corr, p->correlation_id);
  copy_bytes(body, e->message.body);
  int from_queue = strcmp(consuming, queue) == 0;

  if (!type[0]) {
    if (s.paused) {  // delivered before the pause took effect: back to QUEUE, unapplied, for whoever consumes it next
      amqp_basic_reject(conn, 1, e->delivery_tag, 1);
      return;
    }
    uint64_t seq = strtoull(body, NULL, 10);
    char kind = 'a';
    if (seq <= s.last) {
      s.dups++;
      kind = 'd';
    } else {
      if (seq > s.last + 1) s.lost += seq - s.last - 1;
      apply(seq);
      if (cost_us > 0) {
        struct timespec work = {cost_us / 1000000, (cost_us % 1000000) * 1000};
        nanosleep(&work, NULL);
      }
    }
    amqp_basic_ack(conn, 1, e->delivery_tag, 0);
    report(seq, kind);
    if (s.reach_pending && s.last >= s.reach_until) {
      s.reach_pending = 0;
      reply(s.reach_reply, s.reach_corr, "reached", 0);
    }
    if (s.switch_pending && s.last >= s.switch_until) switch_to_queue();
    return;
  }
  amqp_basic_ack(conn, 1, e->delivery_tag, 0);
  if (!strcmp(type, "edgeportal.marker")) {
    if (from_queue && !s.paused) {
      field(body, "replay-queue=", s.replay);
      reply(reply_to, corr, "marker", 0);
    }
  } else if (!strcmp(type, "edgeportal.dumped")) {
    if (from_queue) {
      s.replay[0] = 0;
      reply(reply_to, corr, "dumped", 0);
    }
  } else if (!strcmp(type, "edgeportal.pause")) {
    field(body, "resume-queue=", arg);
    if (from_queue && arg[0] && !s.paused) {
      reply(reply_to, corr, "paused", 0);
      if (cancel()) return;
      s.paused = 1;
      snprintf(s.resume, sizeof s.resume, "%s", arg);
      consume(s.resume);
    }
  } else if (!strcmp(type, "edgeportal.resume")) {
    if (s.paused) {
      if (cancel()) return;
      s.paused = 0;
      if (consume(queue)) return;
      reply(reply_to, corr, "resumed", 0);
    }
  } else if (!strcmp(type, "edgeportal.exit")) {
    reply(reply_to, corr, "exiting", 0);
    amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
    exit(0);
  } else if (!strcmp(type, "edgeportal.switch")) {
    if (s.replay[0] && !strcmp(consuming, s.replay)) {
      field(body, "until=", arg);
      s.switch_until = strtoull(arg, NULL, 10);
      snprintf(s.switch_reply, sizeof s.switch_reply, "%s", reply_to);
      snprintf(s.switch_corr, sizeof s.switch_corr, "%s", corr);
      s.switch_pending = 1;
      if (s.last >= s.switch_until) switch_to_queue();
    }
  } else if (!strcmp(type, "edgeportal.reach")) {
    field(body, "until=", arg);
    s.reach_until = strtoull(arg, NULL, 10);
    snprintf(s.reach_reply, sizeof s.reach_reply, "%s", reply_to);
    snprintf(s.reach_corr, sizeof s.reach_corr, "%s", corr);
    s.reach_pending = s.last < s.reach_until;
    if (!s.reach_pending) reply(reply_to, corr, "reached", 0);
  } else if (!strcmp(type, "edgeportal.status")) {
    reply(reply_to, corr, "status", 1);
  }
}

int main(int argc, char **argv) {
  if (argc < 8 || argc > 10) {
    fprintf(stderr, "usage: %s HOST PORT USER PASSWORD EXCHANGE QUEUE BYTES [REPORT_EXCHANGE [COST_US]]\n", argv[0]);
    return 2;
  }
  broker_host = argv[1];
  broker_port = atoi(argv[2]);
  user = argv[3];
  password = argv[4];
  exchange = argv[5];
  queue = argv[6];
  s.words = strtoull(argv[7], NULL, 10) / 8;
  reports = argc >= 9 && argv[8][0] ? argv[8] : NULL;
  cost_us = argc == 10 ? atol(argv[9]) : 0;
  if (s.words == 0 || strlen(queue) >= NAME) {
    fprintf(stderr, "state must be at least 8 bytes and the queue name shorter than %d\n", NAME);
    return 2;
  }
  s.w = malloc(s.words * 8);
  if (!s.w) return 1;
  for (uint64_t i = 0; i < s.words; i++) s.sum += s.w[i] = mix(i);
  signal(SIGPIPE, SIG_IGN);

  if (connect_broker()) {
    fprintf(stderr, "cannot connect to the broker at %s:%d or declare %s/%s\n", broker_host, broker_port, exchange, queue);
    return 1;
  }
  // Ready: detach from the caller's session and stdio only now, so start-up errors are still seen.
  fprintf(stdout, "consuming %s\n", queue);
  fflush(stdout);
  setsid();
  int devnull = open("/dev/null", O_RDWR);
  dup2(devnull, 0), dup2(devnull, 1), dup2(devnull, 2);
  if (devnull > 2) close(devnull);

  for (;;) {
    if (!conn) {
      if (connect_broker()) {
        disconnect();
        struct timespec pause = {0, 20 * 1000 * 1000};
        nanosleep(&pause, NULL);
      }
      continue;
    }
    amqp_envelope_t envelope;
    struct timeval timeout = {1, 0};
    amqp_maybe_release_buffers(conn);
    amqp_rpc_reply_t r = amqp_consume_message(conn, &envelope, &timeout, 0);
    if (ok(r)) {
      handle(&envelope);
      amqp_destroy_envelope(&envelope);
      continue;
    }
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) continue;
    if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      // Something other than a delivery: a close, or the broker cancelling the consumer (its queue was deleted), means
      // reconnect and consume what the state says now; anything else (a late cancel-ok) is ignored.
      amqp_frame_t frame;
      if (amqp_simple_wait_frame(conn, &frame) == AMQP_STATUS_OK && frame.frame_type == AMQP_FRAME_METHOD &&
          frame.payload.method.id != AMQP_CHANNEL_CLOSE_METHOD && frame.payload.method.id != AMQP_CONNECTION_CLOSE_METHOD &&
          frame.payload.method.id != AMQP_BASIC_CANCEL_METHOD)
        continue;
    }
    disconnect();
  }
}
