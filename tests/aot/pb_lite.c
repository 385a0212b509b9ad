/* pb_lite.c: see pb_lite.h. The protobuf wire format: each field is a varint
 * key (number << 3 | wire type) followed by a varint, 8 or 4 bytes, or a
 * length-delimited payload; repeated numeric fields may be packed. */
#define _POSIX_C_SOURCE 200809L
#include "pb_lite.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t pbl_dtype_size(int dtype) {
  switch (dtype) {
  case 1: case 6: case 12: return 4; /* float, int32, uint32 */
  case 2: case 3: case 9: return 1;  /* uint8, int8, bool */
  case 4: case 5: case 10: case 16: return 2;
  case 7: case 11: case 13: return 8; /* int64, double, uint64 */
  default: return 0;
  }
}

typedef struct rd {
  const unsigned char *p, *end;
} rd;

static int varint(rd *r, uint64_t *v) {
  *v = 0;
  for (int s = 0; s < 64 && r->p < r->end; s += 7) {
    unsigned char b = *r->p++;
    *v |= (uint64_t)(b & 0x7f) << s;
    if (!(b & 0x80)) return 0;
  }
  return -1;
}

/* appends one element of a typed data field to t->data (grown as needed) */
static int append(pbl_tensor *t, int64_t *cap, const void *elem, size_t es) {
  if (t->nbytes + (int64_t)es > *cap) {
    int64_t nc = *cap ? *cap * 2 : 1024;
    void *nd = realloc(t->data, (size_t)nc);
    if (!nd) return -1;
    t->data = nd;
    *cap = nc;
  }
  memcpy((char *)t->data + t->nbytes, elem, es);
  t->nbytes += (int64_t)es;
  return 0;
}

/* int32_data holds int32/int16/int8/uint8/uint16/bool/fp16 values, one per varint */
static int append_int(pbl_tensor *t, int64_t *cap, uint64_t v) {
  size_t es = pbl_dtype_size(t->dtype);
  int64_t x = (int64_t)v;
  if (t->dtype == 7 || t->dtype == 13) return append(t, cap, &x, 8);
  int32_t i32 = (int32_t)x;
  int16_t i16 = (int16_t)x;
  int8_t i8 = (int8_t)x;
  return append(t, cap, es == 4 ? (void *)&i32 : es == 2 ? (void *)&i16 : (void *)&i8, es ? es : 1);
}

static int parse(rd *r, pbl_tensor *t, char *err, size_t errn) {
  int64_t cap = 0;
  while (r->p < r->end) {
    uint64_t key, v;
    if (varint(r, &key)) goto bad;
    int field = (int)(key >> 3), wt = (int)(key & 7);
    if (wt == 0) {
      if (varint(r, &v)) goto bad;
      if (field == 1 && t->rank < 8) t->dims[t->rank++] = (int64_t)v;
      else if (field == 2) t->dtype = (int32_t)v;
      else if ((field == 5 || field == 7 || field == 11) && append_int(t, &cap, v)) goto oom;
    } else if (wt == 2) {
      if (varint(r, &v) || v > (uint64_t)(r->end - r->p)) goto bad;
      rd sub = {r->p, r->p + v};
      r->p += v;
      if (field == 8) snprintf(t->name, sizeof t->name, "%.*s", (int)v, (const char *)sub.p);
      else if (field == 9) {
        free(t->data);
        t->data = malloc(v ? v : 1);
        if (!t->data) goto oom;
        memcpy(t->data, sub.p, v);
        t->nbytes = (int64_t)v, cap = (int64_t)v;
      } else if (field == 1 || field == 5 || field == 7 || field == 11) { /* packed varints */
        while (sub.p < sub.end) {
          if (varint(&sub, &v)) goto bad;
          if (field == 1 && t->rank < 8) t->dims[t->rank++] = (int64_t)v;
          else if (field != 1 && append_int(t, &cap, v)) goto oom;
        }
      } else if (field == 4 || field == 10) { /* packed float / double */
        size_t es = field == 4 ? 4 : 8;
        for (; sub.p + es <= sub.end; sub.p += es)
          if (append(t, &cap, sub.p, es)) goto oom;
      }
    } else if (wt == 5 || wt == 1) {
      size_t es = wt == 5 ? 4 : 8;
      if ((size_t)(r->end - r->p) < es) goto bad;
      if ((field == 4 && es == 4) || (field == 10 && es == 8)) {
        if (append(t, &cap, r->p, es)) goto oom;
      }
      r->p += es;
    } else goto bad;
  }
  return 0;
bad:
  snprintf(err, errn, "malformed protobuf");
  return -1;
oom:
  snprintf(err, errn, "out of memory");
  return -1;
}

int pbl_read(const char *path, pbl_tensor *t, char *err, size_t errn) {
  memset(t, 0, sizeof *t);
  FILE *f = fopen(path, "rb");
  if (!f) {
    snprintf(err, errn, "cannot open %s", path);
    return -1;
  }
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
  if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n) {
    fclose(f);
    free(buf);
    snprintf(err, errn, "cannot read %s", path);
    return -1;
  }
  fclose(f);
  rd r = {buf, buf + n};
  int rc = parse(&r, t, err, errn);
  free(buf);
  int64_t numel = 1;
  for (int i = 0; i < t->rank; i++) numel *= t->dims[i];
  if (rc == 0 && (!pbl_dtype_size(t->dtype) || numel * (int64_t)pbl_dtype_size(t->dtype) != t->nbytes)) {
    snprintf(err, errn, "%s: dtype %d with %lld elements but %lld data bytes", path, t->dtype, (long long)numel,
             (long long)t->nbytes);
    rc = -1;
  }
  /* the model's buffers need 64-byte alignment only for speed; give it anyway */
  void *al = NULL;
  if (rc == 0 && posix_memalign(&al, 64, t->nbytes ? (size_t)t->nbytes : 64) == 0) {
    if (t->nbytes) memcpy(al, t->data, (size_t)t->nbytes);
    free(t->data);
    t->data = al;
  }
  if (rc) pbl_free(t);
  return rc;
}

static void put_varint(FILE *f, uint64_t v) {
  do {
    unsigned char b = v & 0x7f;
    v >>= 7;
    if (v) b |= 0x80;
    fputc(b, f);
  } while (v);
}

int pbl_write(const char *path, const pbl_tensor *t) {
  FILE *f = fopen(path, "wb");
  if (!f) return -1;
  for (int i = 0; i < t->rank; i++) put_varint(f, 1 << 3), put_varint(f, (uint64_t)t->dims[i]);
  put_varint(f, 2 << 3), put_varint(f, (uint64_t)t->dtype);
  size_t nl = strlen(t->name);
  put_varint(f, 8 << 3 | 2), put_varint(f, nl), fwrite(t->name, 1, nl, f);
  put_varint(f, 9 << 3 | 2), put_varint(f, (uint64_t)t->nbytes);
  if (t->nbytes) fwrite(t->data, 1, (size_t)t->nbytes, f);
  return fclose(f) == 0 ? 0 : -1;
}

void pbl_free(pbl_tensor *t) {
  free(t->data);
  t->data = NULL;
}
