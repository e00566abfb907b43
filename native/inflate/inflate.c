// dsmath native inflate: raw DEFLATE decompression of one gzip member's body with libdeflate (Debian's
// libdeflate-dev), exposed through N-API. src/warc/inflate.ts loads it when built and falls back to
// node:zlib otherwise. Built by `make native` (cc, no node-gyp): see native/inflate/build.sh.
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <libdeflate.h>
#define NAPI_VERSION 8
#include <node_api.h>

typedef struct {
  struct libdeflate_decompressor *d;
  uint8_t *scratch;
  size_t cap;
} State;

#define KEEP_MAX ((size_t)64 << 20)   /* a larger scratch buffer is freed after use */
#define OUT_MAX ((size_t)4 << 30)     /* beyond this, report failure: the caller falls back to node:zlib */

static void finalize_state(napi_env env, void *data, void *hint) {
  (void)env; (void)hint;
  State *s = data;
  if (s->d) libdeflate_free_decompressor(s->d);
  free(s->scratch);
  free(s);
}

static napi_value throw_msg(napi_env env, const char *msg) {
  napi_throw_error(env, NULL, msg);
  return NULL;
}

// inflateRaw(input: Uint8Array, start: number, info: Float64Array(3), into?: Uint8Array): Buffer | number | null
// Inflates the raw DEFLATE stream at input[start..] and sets info = [input bytes consumed, CRC-32 of the
// output, 0]. With `into`, the output goes straight there when it fits and its length is returned;
// otherwise (or without `into`) it goes to a reused scratch buffer and a copy is returned. On failure
// returns null with info[2] = the libdeflate result (1 bad data, 3 insufficient space).
static napi_value inflate_raw(napi_env env, napi_callback_info cbinfo) {
  size_t argc = 4;
  napi_value argv[4];
  State *s;
  if (napi_get_cb_info(env, cbinfo, &argc, argv, NULL, (void **)&s) != napi_ok || argc < 3) return throw_msg(env, "inflateRaw(input, start, info)");
  napi_typedarray_type t;
  size_t len, ilen;
  void *in, *info_data;
  napi_value ab;
  size_t boff;
  if (napi_get_typedarray_info(env, argv[0], &t, &len, &in, &ab, &boff) != napi_ok || t != napi_uint8_array) return throw_msg(env, "input must be a Uint8Array");
  if (napi_get_typedarray_info(env, argv[2], &t, &ilen, &info_data, &ab, &boff) != napi_ok || t != napi_float64_array || ilen < 3) return throw_msg(env, "info must be a Float64Array(3)");
  double *info = info_data;
  int64_t start;
  if (napi_get_value_int64(env, argv[1], &start) != napi_ok || start < 0 || (size_t)start > len) return throw_msg(env, "bad start");
  const uint8_t *src = (const uint8_t *)in + start;
  size_t srclen = len - (size_t)start;

  if (!s->scratch) {
    s->cap = (size_t)1 << 20;
    s->scratch = malloc(s->cap);
    if (!s->scratch) return throw_msg(env, "out of memory");
  }
  size_t in_used = 0, out_len = 0;
  enum libdeflate_result r;
  napi_valuetype into_type = napi_undefined;
  if (argc >= 4) napi_typeof(env, argv[3], &into_type);
  if (into_type == napi_object) {
    void *into;
    size_t into_len;
    if (napi_get_typedarray_info(env, argv[3], &t, &into_len, &into, &ab, &boff) != napi_ok || t != napi_uint8_array) return throw_msg(env, "into must be a Uint8Array");
    r = libdeflate_deflate_decompress_ex(s->d, src, srclen, into, into_len, &in_used, &out_len);
    if (r != LIBDEFLATE_INSUFFICIENT_SPACE) {
      napi_value res;
      if (r == LIBDEFLATE_SUCCESS) {
        info[0] = (double)in_used;
        info[1] = (double)libdeflate_crc32(0, into, out_len);
        info[2] = 0;
        napi_create_double(env, (double)out_len, &res);
      } else {
        info[0] = 0; info[1] = 0; info[2] = (double)r;
        napi_get_null(env, &res);
      }
      return res;
    }
  }
  for (;;) {
    r = libdeflate_deflate_decompress_ex(s->d, src, srclen, s->scratch, s->cap, &in_used, &out_len);
    if (r != LIBDEFLATE_INSUFFICIENT_SPACE || s->cap >= OUT_MAX) break;
    free(s->scratch);
    s->cap *= 4;
    s->scratch = malloc(s->cap);
    if (!s->scratch) { s->cap = 0; return throw_msg(env, "out of memory"); }
  }
  napi_value result;
  if (r != LIBDEFLATE_SUCCESS) {
    info[0] = 0; info[1] = 0; info[2] = (double)r;
    napi_get_null(env, &result);
  } else {
    void *copy;
    if (napi_create_buffer_copy(env, out_len, s->scratch, &copy, &result) != napi_ok) return NULL;
    info[0] = (double)in_used;
    info[1] = (double)libdeflate_crc32(0, s->scratch, out_len);
    info[2] = 0;
  }
  if (s->cap > KEEP_MAX) { free(s->scratch); s->scratch = NULL; s->cap = 0; }
  return result;
}

NAPI_MODULE_INIT(/* napi_env env, napi_value exports */) {
  State *s = calloc(1, sizeof *s);
  if (!s) return throw_msg(env, "out of memory");
  s->d = libdeflate_alloc_decompressor();
  if (!s->d) { free(s); return throw_msg(env, "libdeflate_alloc_decompressor failed"); }
  napi_value fn, ver;
  if (napi_create_function(env, "inflateRaw", NAPI_AUTO_LENGTH, inflate_raw, s, &fn) != napi_ok) return NULL;
  napi_set_named_property(env, exports, "inflateRaw", fn);
  napi_create_string_utf8(env, LIBDEFLATE_VERSION_STRING, NAPI_AUTO_LENGTH, &ver);
  napi_set_named_property(env, exports, "libdeflateVersion", ver);
  // One State per module instance (main thread and each worker); freed with the exports object.
  napi_add_finalizer(env, exports, s, finalize_state, NULL, NULL);
  return exports;
}
