// Batched UDP for the DNS hot path: recvmmsg/sendmmsg on a dup of the socket
// Node bound, watched by a libuv poll handle on Node's own loop, with one call
// into JavaScript per batch of datagrams instead of one per datagram.
//
// Why native: Node's dgram costs one recvmsg, one sendmsg, one JS callback and
// a few objects per datagram; on this project's two-core machine that caps a
// bare Node echo at about half of NSD's rate on one core (PRODUCT.md, section
// 8). Reading and writing 64 at a time is what NSD and Knot do.
//
// Memory is owned by JavaScript (Buffers passed to open() and kept referenced
// here until close): the input slots, the source addresses, the per-datagram
// lengths, the packed replies and their (offset, length, datagram) triples,
// and four counters. Nothing here allocates per datagram.
#define _GNU_SOURCE
#include <node_api.h>
#include <uv.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <unistd.h>
#include <fcntl.h>
#include <errno.h>
#include <string.h>
#include <stdlib.h>
#include <stdint.h>

#define BATCH 64
// Batches read per readiness event: bounds how long timers and TCP wait behind a flood.
#define ROUNDS 2
#define ADDR_SIZE ((socklen_t)sizeof(struct sockaddr_in6))
#define REF_COUNT 7

enum { C_RECEIVED, C_SENT, C_SEND_ERRORS, C_CUT, C_COUNT };

typedef struct {
  uv_poll_t poll;
  int fd;
  int closing;
  napi_env env;
  napi_ref refs[REF_COUNT]; // callback and the six buffers: alive as long as this handle
  napi_async_context actx;
  uint8_t *in;
  size_t slot;
  uint8_t *addrs;
  int32_t *lens;
  uint8_t *out;
  size_t out_len;
  int32_t *replies;
  double *counters;
  socklen_t alen[BATCH];
  struct mmsghdr rx[BATCH], tx[BATCH];
  struct iovec riov[BATCH], tiov[BATCH];
} batch_t;

static void send_replies(batch_t *b, int count) {
  int n = 0;
  for (int j = 0; j < count; j++) {
    int32_t off = b->replies[3 * j], len = b->replies[3 * j + 1], idx = b->replies[3 * j + 2];
    // JavaScript wrote these; a bad triple is skipped, never followed out of bounds.
    if (off < 0 || len <= 0 || (size_t)off + (size_t)len > b->out_len || idx < 0 || idx >= BATCH) continue;
    b->tiov[n].iov_base = b->out + off;
    b->tiov[n].iov_len = (size_t)len;
    memset(&b->tx[n].msg_hdr, 0, sizeof(struct msghdr));
    b->tx[n].msg_hdr.msg_name = b->addrs + (size_t)idx * ADDR_SIZE;
    b->tx[n].msg_hdr.msg_namelen = b->alen[idx];
    b->tx[n].msg_hdr.msg_iov = &b->tiov[n];
    b->tx[n].msg_hdr.msg_iovlen = 1;
    n++;
  }
  int done = 0;
  while (done < n) {
    int k = sendmmsg(b->fd, b->tx + done, (unsigned)(n - done), MSG_DONTWAIT);
    if (k < 0) {
      if (errno == EINTR) continue;
      // This reply is lost (a full send buffer, an unreachable peer); the rest still go.
      b->counters[C_SEND_ERRORS]++;
      done++;
    } else {
      b->counters[C_SENT] += k;
      done += k;
    }
  }
}

// Calls onBatch(count); it returns how many replies it packed.
static int call_js(batch_t *b, int count) {
  napi_env env = b->env;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return 0;
  napi_value fn, recv, arg, result;
  int32_t r = 0;
  napi_get_reference_value(env, b->refs[0], &fn);
  napi_get_global(env, &recv);
  napi_create_int32(env, count, &arg);
  // make_callback, not call_function: process.nextTick and promise jobs queued by the batch run after it.
  if (napi_make_callback(env, b->actx, recv, fn, 1, &arg, &result) == napi_ok) {
    if (napi_get_value_int32(env, result, &r) != napi_ok) r = 0;
  } else {
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
    r = 0;
  }
  napi_close_handle_scope(env, scope);
  return r < 0 ? 0 : r > BATCH ? BATCH : r;
}

static void on_readable(uv_poll_t *h, int status, int events) {
  (void)events;
  batch_t *b = (batch_t *)h->data;
  if (status < 0 || b->closing) return;
  for (int round = 0; round < ROUNDS && !b->closing; round++) {
    for (int i = 0; i < BATCH; i++) {
      b->riov[i].iov_base = b->in + (size_t)i * b->slot;
      b->riov[i].iov_len = b->slot;
      memset(&b->rx[i].msg_hdr, 0, sizeof(struct msghdr));
      b->rx[i].msg_hdr.msg_name = b->addrs + (size_t)i * ADDR_SIZE;
      b->rx[i].msg_hdr.msg_namelen = ADDR_SIZE;
      b->rx[i].msg_hdr.msg_iov = &b->riov[i];
      b->rx[i].msg_hdr.msg_iovlen = 1;
    }
    int n = recvmmsg(b->fd, b->rx, BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) break;
    for (int i = 0; i < n; i++) {
      b->alen[i] = b->rx[i].msg_hdr.msg_namelen;
      // Longer than a slot: no DNS query is; the caller stays silent (-1).
      int cut = (b->rx[i].msg_hdr.msg_flags & MSG_TRUNC) != 0;
      if (cut) b->counters[C_CUT]++;
      b->lens[i] = cut ? -1 : (int32_t)b->rx[i].msg_len;
    }
    b->counters[C_RECEIVED] += n;
    int r = call_js(b, n);
    if (r > 0 && !b->closing) send_replies(b, r);
    if (n < BATCH) break;
  }
}

static napi_value fail(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

static int buffer_arg(napi_env env, napi_value v, size_t min, void **data) {
  bool is = false;
  size_t len = 0;
  if (napi_is_buffer(env, v, &is) != napi_ok || !is) return 0;
  if (napi_get_buffer_info(env, v, data, &len) != napi_ok) return 0;
  return len >= min;
}

static void on_closed(uv_handle_t *h) {
  batch_t *b = (batch_t *)h->data;
  for (int i = 0; i < REF_COUNT; i++) napi_delete_reference(b->env, b->refs[i]);
  napi_async_destroy(b->env, b->actx);
  free(b);
}

// open(fd, slot, in, addrs, lens, out, replies, counters, onBatch) -> handle
static napi_value js_open(napi_env env, napi_callback_info info) {
  size_t argc = 9;
  napi_value argv[9];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 9) return fail(env, "open: 9 arguments expected");
  int32_t fd, slot;
  if (napi_get_value_int32(env, argv[0], &fd) != napi_ok || fd < 0) return fail(env, "open: bad file descriptor");
  if (napi_get_value_int32(env, argv[1], &slot) != napi_ok || slot < 512 || slot > 65536) return fail(env, "open: bad slot size");
  void *in, *addrs, *lens, *out, *replies, *counters;
  size_t out_len;
  if (!buffer_arg(env, argv[2], (size_t)slot * BATCH, &in)) return fail(env, "open: input buffer too small");
  if (!buffer_arg(env, argv[3], (size_t)ADDR_SIZE * BATCH, &addrs)) return fail(env, "open: address buffer too small");
  if (!buffer_arg(env, argv[4], 4 * BATCH, &lens)) return fail(env, "open: length buffer too small");
  if (!buffer_arg(env, argv[5], 65536, &out)) return fail(env, "open: output buffer too small");
  napi_get_buffer_info(env, argv[5], &out, &out_len);
  if (!buffer_arg(env, argv[6], 12 * BATCH, &replies)) return fail(env, "open: reply buffer too small");
  if (!buffer_arg(env, argv[7], 8 * C_COUNT, &counters)) return fail(env, "open: counter buffer too small");
  if (((uintptr_t)lens & 3) || ((uintptr_t)replies & 3) || ((uintptr_t)counters & 7)) return fail(env, "open: misaligned buffer");
  napi_valuetype t;
  napi_typeof(env, argv[8], &t);
  if (t != napi_function) return fail(env, "open: callback expected");
  // Our own descriptor for the same socket: Node keeps the one it bound (cluster sharing, close).
  int dfd = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (dfd < 0) return fail(env, "open: dup failed");
  fcntl(dfd, F_SETFL, fcntl(dfd, F_GETFL) | O_NONBLOCK);
  batch_t *b = calloc(1, sizeof(batch_t));
  if (!b) {
    close(dfd);
    return fail(env, "open: out of memory");
  }
  b->fd = dfd;
  b->env = env;
  b->slot = (size_t)slot;
  b->in = in;
  b->addrs = addrs;
  b->lens = lens;
  b->out = out;
  b->out_len = out_len;
  b->replies = replies;
  b->counters = counters;
  napi_create_reference(env, argv[8], 1, &b->refs[0]);
  for (int i = 1; i < REF_COUNT; i++) napi_create_reference(env, argv[i + 1], 1, &b->refs[i]);
  napi_value name;
  napi_create_string_utf8(env, "pulsedns.udpbatch", NAPI_AUTO_LENGTH, &name);
  napi_async_init(env, NULL, name, &b->actx);
  uv_loop_t *loop;
  napi_get_uv_event_loop(env, &loop);
  if (uv_poll_init(loop, &b->poll, dfd) != 0) {
    close(dfd);
    for (int i = 0; i < REF_COUNT; i++) napi_delete_reference(env, b->refs[i]);
    napi_async_destroy(env, b->actx);
    free(b);
    return fail(env, "open: cannot watch the socket");
  }
  b->poll.data = b;
  uv_poll_start(&b->poll, UV_READABLE, on_readable);
  napi_value ext;
  napi_create_external(env, b, NULL, NULL, &ext);
  return ext;
}

static batch_t *handle_arg(napi_env env, napi_callback_info info, size_t want, napi_value *argv) {
  size_t argc = want;
  void *p = NULL;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < want || napi_get_value_external(env, argv[0], &p) != napi_ok) return NULL;
  return (batch_t *)p;
}

// flush(handle, count): send the replies packed so far (the output buffer filled mid-batch).
static napi_value js_flush(napi_env env, napi_callback_info info) {
  napi_value argv[2];
  batch_t *b = handle_arg(env, info, 2, argv);
  int32_t r = 0;
  if (!b || napi_get_value_int32(env, argv[1], &r) != napi_ok) return fail(env, "flush: bad arguments");
  if (r > BATCH) r = BATCH;
  if (r > 0 && !b->closing) send_replies(b, r);
  return NULL;
}

// close(handle): stop reading and close our descriptor now; the memory goes once libuv lets go.
static napi_value js_close(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  batch_t *b = handle_arg(env, info, 1, argv);
  if (!b) return fail(env, "close: bad handle");
  if (!b->closing) {
    b->closing = 1;
    uv_poll_stop(&b->poll);
    close(b->fd);
    uv_close((uv_handle_t *)&b->poll, on_closed);
  }
  return NULL;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_value v;
  napi_create_function(env, "open", NAPI_AUTO_LENGTH, js_open, NULL, &v);
  napi_set_named_property(env, exports, "open", v);
  napi_create_function(env, "flush", NAPI_AUTO_LENGTH, js_flush, NULL, &v);
  napi_set_named_property(env, exports, "flush", v);
  napi_create_function(env, "close", NAPI_AUTO_LENGTH, js_close, NULL, &v);
  napi_set_named_property(env, exports, "close", v);
  napi_create_int32(env, BATCH, &v);
  napi_set_named_property(env, exports, "batch", v);
  napi_create_int32(env, ADDR_SIZE, &v);
  napi_set_named_property(env, exports, "addressSize", v);
  napi_create_int32(env, C_COUNT, &v);
  napi_set_named_property(env, exports, "counters", v);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
