/* pb_lite.h: a minimal reader/writer of serialized ONNX TensorProto files
 * (input_K.pb / output_K.pb) for the AOT test driver. It needs only libc, so
 * it cross-compiles for the device with the model (kiln's frontend, built on
 * protobuf-c, does not). Reads dims, data_type, name and the data fields
 * exporters use (raw_data, float/int32/int64/double_data); writes raw_data. */
#ifndef KILN_PB_LITE_H
#define KILN_PB_LITE_H

#include <stddef.h>
#include <stdint.h>

typedef struct pbl_tensor {
  int32_t dtype; /* ONNX TensorProto.DataType */
  int32_t rank;
  int64_t dims[8];
  char name[256];
  void *data; /* malloc'd, 64-byte aligned */
  int64_t nbytes;
} pbl_tensor;

size_t pbl_dtype_size(int dtype); /* 0 for unsupported dtypes */
/* 0 on success; on failure a message in err. */
int pbl_read(const char *path, pbl_tensor *t, char *err, size_t errn);
int pbl_write(const char *path, const pbl_tensor *t);
void pbl_free(pbl_tensor *t);

#endif
