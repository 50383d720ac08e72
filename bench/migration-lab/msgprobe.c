// The message-stream side of the MessageReplay benchmark (bench/migration-lab.sh): a publisher and an observer in one
// single-threaded program, the counterpart of probeclient.c for the message service (msgservice.c).
//
//   msgprobe HOST PORT EXCHANGE QUEUE REPORT_EXCHANGE INTERVAL_MS
//
// It declares EXCHANGE (fan-out, durable) and QUEUE (durable, bound to it) as msgservice declares them, purges QUEUE (a
// previous run's leftovers would be applied as other numbers), binds a private queue to REPORT_EXCHANGE and then publishes
// 1, 2, 3, ... to EXCHANGE, one every INTERVAL_MS, while it prints every report the service sends:
//   "p SEQ T_US"                 published SEQ (CLOCK_REALTIME, µs: the clock msgservice stamps its reports with)
//   "r SEQ T_US HOST KIND"       the service on HOST applied (a) or skipped as a duplicate (d) number SEQ at T_US
//   "stopped LAST"               after SIGUSR1: publishing stopped, LAST was the last number published
// It keeps observing until SIGTERM/SIGINT. Output is line-buffered so that the driver can follow it while it runs.
#define _GNU_SOURCE
#include <amqp.h>
#include <amqp_tcp_socket.h>
#include <inttypes.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static volatile sig_atomic_t stop, stop_publishing;
static void on_stop(int s) { (void)s; stop = 1; }
static void on_usr1(int s) { (void)s; stop_publishing = 1; }

static int64_t now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_REALTIME, &t);
  return (int64_t)t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static void check(amqp_rpc_reply_t r, const char *what) {
  if (r.reply_type != AMQP_RESPONSE_NORMAL) {
    fprintf(stderr, "msgprobe: %s failed (reply type %d)\n", what, r.reply_type);
    exit(1);
  }
}

int main(int argc, char **argv) {
  if (argc != 7) {
    fprintf(stderr, "usage: %s HOST PORT EXCHANGE QUEUE REPORT_EXCHANGE INTERVAL_MS\n", argv[0]);
    return 2;
  }
  const char *exchange = argv[3], *queue = argv[4], *reports = argv[5];
  int64_t interval = atoi(argv[6]) * 1000LL;
  struct sigaction stop_action = {.sa_handler = on_stop}, usr1_action = {.sa_handler = on_usr1};
  sigaction(SIGTERM, &stop_action, NULL);
  sigaction(SIGINT, &stop_action, NULL);
  sigaction(SIGUSR1, &usr1_action, NULL);
  setvbuf(stdout, NULL, _IOLBF, 0);

  amqp_connection_state_t conn = amqp_new_connection();
  amqp_socket_t *socket = amqp_tcp_socket_new(conn);
  if (!socket || amqp_socket_open(socket, argv[1], atoi(argv[2]))) {
    fprintf(stderr, "msgprobe: cannot connect to %s:%s\n", argv[1], argv[2]);
    return 1;
  }
  check(amqp_login(conn, "/", 0, 131072, 0, AMQP_SASL_METHOD_PLAIN, "guest", "guest"), "login");
  amqp_channel_open(conn, 1);
  check(amqp_get_rpc_reply(conn), "channel.open");
  amqp_exchange_declare(conn, 1, amqp_cstring_bytes(exchange), amqp_cstring_bytes("fanout"), 0, 1, 0, 0, amqp_empty_table);
  check(amqp_get_rpc_reply(conn), "exchange.declare");
  amqp_queue_declare(conn, 1, amqp_cstring_bytes(queue), 0, 1, 0, 0, amqp_empty_table);
  check(amqp_get_rpc_reply(conn), "queue.declare");
  amqp_queue_bind(conn, 1, amqp_cstring_bytes(queue), amqp_cstring_bytes(exchange), amqp_empty_bytes, amqp_empty_table);
  check(amqp_get_rpc_reply(conn), "queue.bind");
  amqp_queue_purge(conn, 1, amqp_cstring_bytes(queue));
  check(amqp_get_rpc_reply(conn), "queue.purge");
  amqp_exchange_declare(conn, 1, amqp_cstring_bytes(reports), amqp_cstring_bytes("fanout"), 0, 0, 0, 0, amqp_empty_table);
  check(amqp_get_rpc_reply(conn), "exchange.declare (reports)");
  amqp_queue_declare_ok_t *own = amqp_queue_declare(conn, 1, amqp_empty_bytes, 0, 0, 1, 1, amqp_empty_table);
  check(amqp_get_rpc_reply(conn), "queue.declare (reports)");
  amqp_bytes_t own_name = amqp_bytes_malloc_dup(own->queue);
  amqp_queue_bind(conn, 1, own_name, amqp_cstring_bytes(reports), amqp_empty_bytes, amqp_empty_table);
  check(amqp_get_rpc_reply(conn), "queue.bind (reports)");
  amqp_basic_consume(conn, 1, own_name, amqp_empty_bytes, 0, 1, 1, amqp_empty_table);
  check(amqp_get_rpc_reply(conn), "basic.consume (reports)");

  uint64_t seq = 0;
  int64_t next = now_us();
  int stopped = 0;
  char body[32];
  while (!stop) {
    if (stop_publishing && !stopped) {
      printf("stopped %" PRIu64 "\n", seq);
      stopped = 1;
    }
    int64_t t = now_us();
    if (!stopped && t >= next) {
      snprintf(body, sizeof body, "%" PRIu64, ++seq);
      if (amqp_basic_publish(conn, 1, amqp_cstring_bytes(exchange), amqp_empty_bytes, 0, 0, NULL, amqp_cstring_bytes(body))) {
        fprintf(stderr, "msgprobe: publish #%" PRIu64 " failed\n", seq);
        return 1;
      }
      printf("p %" PRIu64 " %" PRId64 "\n", seq, now_us());
      next += interval;
      if (next < t) next = t + interval;  // never a burst after a stall: the stream keeps its rate
      continue;
    }
    int64_t wait = stopped ? 50000 : next - t;
    struct timeval timeout = {wait / 1000000, wait % 1000000};
    amqp_envelope_t envelope;
    amqp_maybe_release_buffers(conn);
    amqp_rpc_reply_t r = amqp_consume_message(conn, &envelope, &timeout, 0);
    if (r.reply_type == AMQP_RESPONSE_NORMAL) {
      printf("r %.*s\n", (int)envelope.message.body.len, (char *)envelope.message.body.bytes);
      amqp_destroy_envelope(&envelope);
    } else if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_TIMEOUT) {
      continue;
    } else if (r.reply_type == AMQP_RESPONSE_LIBRARY_EXCEPTION && r.library_error == AMQP_STATUS_UNEXPECTED_STATE) {
      amqp_frame_t frame;  // a method other than a delivery (none expected): read it and go on
      if (amqp_simple_wait_frame(conn, &frame) != AMQP_STATUS_OK) return 1;
    } else if (!stop) {
      fprintf(stderr, "msgprobe: the broker connection failed (reply type %d, error %d)\n", r.reply_type, r.library_error);
      return 1;
    }
  }
  amqp_bytes_free(own_name);
  amqp_connection_close(conn, AMQP_REPLY_SUCCESS);
  amqp_destroy_connection(conn);
  return 0;
}
