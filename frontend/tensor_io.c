/* tensor_io.c: ONNX TensorProto decoding and encoding (input/output files and
 * the ONNX writer's initializers). All of the checks that
 * keep a malformed or hostile file from crashing kiln live here: dtype, rank,
 * element count overflow, memory limit and data length (external data, which
 * must stay inside the model's folder, is read by external_data.c). */
#include "onnx_proto.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

kn_status onnx_read_file(kn_ctx *ctx, const char *path, uint8_t **data, size_t *len) {
  *data = NULL;
  *len = 0;
  FILE *f = fopen(path, "rb");
  if (!f) return kn_fail(ctx, KN_EIO, "%s: cannot open: %s", path, strerror(errno));
  struct stat st;
  if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
    fclose(f);
    return kn_fail(ctx, KN_EIO, "%s: not a regular file", path);
  }
  if ((uint64_t)st.st_size > ctx->mem_limit) {
    fclose(f);
    return kn_fail(ctx, KN_ELIMIT, "%s: file of %lld bytes exceeds the memory limit", path, (long long)st.st_size);
  }
  size_t n = (size_t)st.st_size;
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) {
    fclose(f);
    return kn_fail(ctx, KN_ENOMEM, "%s: out of memory reading %zu bytes", path, n);
  }
  if (n && fread(buf, 1, n, f) != n) {
    fclose(f);
    free(buf);
    return kn_fail(ctx, KN_EIO, "%s: read error", path);
  }
  fclose(f);
  *data = buf;
  *len = n;
  return KN_OK;
}

#define COPY_TYPED(field, count, ctype, conv)                                                      \
  do {                                                                                             \
    if ((int64_t)tp->count != n)                                                                   \
      return kn_fail(ctx, KN_EINVAL, "tensor %s: has %zu values for %lld elements", tn, tp->count, (long long)n); \
    ctype *dst = t->data;                                                                          \
    for (int64_t i = 0; i < n; i++) dst[i] = conv(tp->field[i]);                                  \
  } while (0)
#define AS_IS(x) (x)

kn_status onnx_tensor_from_proto(kn_ctx *ctx, const KilnOnnx__TensorProto *tp, const char *dir, kn_tensor *t) {
  const char *tn = tp->name && *tp->name ? tp->name : "(unnamed)";
  memset(t, 0, sizeof *t);
  int dt = tp->has_data_type ? tp->data_type : 0;
  if (dt == KN_STRING) return kn_fail(ctx, KN_EUNSUPPORTED, "tensor %s: string tensors are not supported", tn);
  if (dt <= 0 || dt >= KN_DTYPE_END || kn_dtype_size(dt) == 0)
    return kn_fail(ctx, KN_EUNSUPPORTED, "tensor %s: unsupported data type %d", tn, dt);
  if (tp->n_dims > KN_MAX_RANK)
    return kn_fail(ctx, KN_EUNSUPPORTED, "tensor %s: rank %zu exceeds kiln's maximum %d", tn, tp->n_dims, KN_MAX_RANK);
  int64_t dims[KN_MAX_RANK];
  for (size_t i = 0; i < tp->n_dims; i++) {
    if (tp->dims[i] < 0) return kn_fail(ctx, KN_ESHAPE, "tensor %s: negative dim %lld", tn, (long long)tp->dims[i]);
    dims[i] = tp->dims[i];
  }
  kn_status st = kn_tensor_alloc(ctx, t, dt, (int)tp->n_dims, dims);
  if (st != KN_OK) {
    kn_prefix(ctx, "tensor %s: ", tn);
    return st;
  }
  int64_t n = kn_tensor_numel(t);
  if (tp->has_data_location && tp->data_location == KILN_ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL) {
    st = onnx_read_external(ctx, tp, dir, t);
  } else if (tp->has_raw_data) {
    if ((int64_t)tp->raw_data.len != t->nbytes)
      st = kn_fail(ctx, KN_EINVAL, "tensor %s: raw_data has %zu bytes, shape needs %lld", tn, tp->raw_data.len,
                   (long long)t->nbytes);
    else if (t->nbytes) memcpy(t->data, tp->raw_data.data, (size_t)t->nbytes);
  } else if (n == 0) {
    /* empty tensor: nothing to read */
  } else {
    switch (dt) {
    case KN_F32: COPY_TYPED(float_data, n_float_data, float, AS_IS); break;
    case KN_F64: COPY_TYPED(double_data, n_double_data, double, AS_IS); break;
    case KN_I64: COPY_TYPED(int64_data, n_int64_data, int64_t, AS_IS); break;
    case KN_I32: COPY_TYPED(int32_data, n_int32_data, int32_t, AS_IS); break;
    case KN_I16: COPY_TYPED(int32_data, n_int32_data, int16_t, (int16_t)); break;
    case KN_I8: COPY_TYPED(int32_data, n_int32_data, int8_t, (int8_t)); break;
    case KN_U16: case KN_F16: case KN_BF16: COPY_TYPED(int32_data, n_int32_data, uint16_t, (uint16_t)); break;
    case KN_U8: case KN_BOOL: COPY_TYPED(int32_data, n_int32_data, uint8_t, (uint8_t)); break;
    case KN_U32: COPY_TYPED(uint64_data, n_uint64_data, uint32_t, (uint32_t)); break;
    case KN_U64: COPY_TYPED(uint64_data, n_uint64_data, uint64_t, AS_IS); break;
    default: st = kn_fail(ctx, KN_EUNSUPPORTED, "tensor %s: unsupported data type %d", tn, dt);
    }
  }
  if (st != KN_OK) kn_tensor_free(t);
  return st;
}

kn_status onnx_read_tensor_file(kn_ctx *ctx, const char *path, kn_tensor *t, char **name) {
  uint8_t *buf;
  size_t len;
  memset(t, 0, sizeof *t);
  if (name) *name = NULL;
  KN_TRY(onnx_read_file(ctx, path, &buf, &len));
  KilnOnnx__TensorProto *tp = kiln_onnx__tensor_proto__unpack(NULL, len, buf);
  free(buf);
  if (!tp) return kn_fail(ctx, KN_EPARSE, "%s: not a valid TensorProto (truncated or corrupt protobuf)", path);
  kn_status st = onnx_tensor_from_proto(ctx, tp, NULL, t);
  if (st != KN_OK) kn_prefix(ctx, "%s: ", path);
  else if (name && tp->name) *name = strdup(tp->name);
  kiln_onnx__tensor_proto__free_unpacked(tp, NULL);
  return st;
}

void onnx_tensor_to_proto(const kn_tensor *t, const char *name, KilnOnnx__TensorProto *tp) {
  KilnOnnx__TensorProto init = KILN_ONNX__TENSOR_PROTO__INIT;
  *tp = init;
  tp->n_dims = (size_t)t->rank;
  tp->dims = (int64_t *)t->dims;
  tp->has_data_type = 1;
  tp->data_type = t->dtype;
  tp->name = (char *)(name ? name : "");
  tp->has_raw_data = 1;
  tp->raw_data.len = (size_t)t->nbytes;
  tp->raw_data.data = t->data;
}

kn_status onnx_write_tensor_file(kn_ctx *ctx, const char *path, const kn_tensor *t, const char *name) {
  KilnOnnx__TensorProto tp;
  onnx_tensor_to_proto(t, name, &tp);
  size_t n = kiln_onnx__tensor_proto__get_packed_size(&tp);
  uint8_t *buf = malloc(n ? n : 1);
  if (!buf) return kn_fail(ctx, KN_ENOMEM, "out of memory");
  kiln_onnx__tensor_proto__pack(&tp, buf);
  FILE *f = fopen(path, "wb");
  kn_status st = KN_OK;
  if (!f) st = kn_fail(ctx, KN_EIO, "%s: cannot create: %s", path, strerror(errno));
  else {
    if (fwrite(buf, 1, n, f) != n) st = kn_fail(ctx, KN_EIO, "%s: write error", path);
    if (fclose(f) != 0 && st == KN_OK) st = kn_fail(ctx, KN_EIO, "%s: write error", path);
  }
  free(buf);
  return st;
}
