/* external_data.c: reads a tensor's external data (TensorProto.external_data)
 * from a file next to the model. The location comes from a possibly hostile
 * file, so it must not reach anything outside the model's folder: it must be
 * relative with no ".." component, its real path (every symlink resolved)
 * must lie under the real path of the folder, and what is opened must be a
 * regular file (a FIFO, device or directory is refused; the open is
 * non-blocking so a FIFO cannot hang it). Offset and length must be plain
 * non-negative decimal numbers. */
#include "onnx_proto.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A relative path with no ".." component. */
static bool safe_relative_path(const char *p) {
  if (!*p || p[0] == '/') return false;
  const char *s = p;
  while (*s) {
    const char *e = strchr(s, '/');
    size_t n = e ? (size_t)(e - s) : strlen(s);
    if (n == 2 && s[0] == '.' && s[1] == '.') return false;
    if (!e) break;
    s = e + 1;
  }
  return true;
}

/* Digits only (no sign, spaces, base prefix), without overflowing int64. */
static bool parse_decimal(const char *s, int64_t *out) {
  if (!*s) return false;
  int64_t v = 0;
  for (; *s; s++) {
    if (*s < '0' || *s > '9') return false;
    int d = *s - '0';
    if (v > (INT64_MAX - d) / 10) return false;
    v = v * 10 + d;
  }
  *out = v;
  return true;
}

/* Whether real path p lies strictly under real folder root. */
static bool path_inside(const char *root, const char *p) {
  size_t n = strlen(root);
  if (n == 1 && root[0] == '/') return p[0] == '/' && p[1] != 0;
  return strncmp(p, root, n) == 0 && p[n] == '/';
}

/* Opens the file of location loc under dir, refusing anything outside the
 * folder or not a regular file; *fd and *size on success. */
static kn_status open_inside(kn_ctx *ctx, const char *tn, const char *dir, const char *loc, int *fd, int64_t *size) {
  *fd = -1;
  size_t plen = strlen(dir) + strlen(loc) + 2;
  char *path = malloc(plen), *real_dir = NULL, *real = NULL;
  if (!path) return kn_fail(ctx, KN_ENOMEM, "tensor %s: out of memory", tn);
  snprintf(path, plen, "%s/%s", dir, loc);
  kn_status st = KN_OK;
  if (!(real_dir = realpath(dir, NULL)))
    st = kn_fail(ctx, KN_EIO, "tensor %s: cannot resolve the model folder %s: %s", tn, dir, strerror(errno));
  else if (!(real = realpath(path, NULL)))
    st = kn_fail(ctx, KN_EIO, "tensor %s: cannot open external data %s: %s", tn, path, strerror(errno));
  else if (!path_inside(real_dir, real))
    st = kn_fail(ctx, KN_EINVAL, "tensor %s: external data location '%s' resolves to %s, outside the model folder %s",
                 tn, loc, real, real_dir);
  if (st == KN_OK) {
    /* the resolved path has no symlink left; O_NOFOLLOW refuses one put in
     * its place since the check */
    *fd = open(real, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
    struct stat sb;
    if (*fd < 0)
      st = kn_fail(ctx, KN_EIO, "tensor %s: cannot open external data %s: %s", tn, path, strerror(errno));
    else if (fstat(*fd, &sb) != 0)
      st = kn_fail(ctx, KN_EIO, "tensor %s: cannot stat external data %s: %s", tn, path, strerror(errno));
    else if (!S_ISREG(sb.st_mode))
      st = kn_fail(ctx, KN_EINVAL, "tensor %s: external data %s is not a regular file", tn, loc);
    else *size = (int64_t)sb.st_size;
    if (st != KN_OK && *fd >= 0) {
      close(*fd);
      *fd = -1;
    }
  }
  free(real);
  free(real_dir);
  free(path);
  return st;
}

kn_status onnx_read_external(kn_ctx *ctx, const KilnOnnx__TensorProto *tp, const char *dir, kn_tensor *t) {
  const char *tn = tp->name && *tp->name ? tp->name : "(unnamed)";
  const char *loc = NULL;
  int64_t offset = 0, length = -1;
  for (size_t i = 0; i < tp->n_external_data; i++) {
    const KilnOnnx__StringStringEntryProto *e = tp->external_data[i];
    if (!e->key || !e->value) continue;
    bool is_offset = strcmp(e->key, "offset") == 0, is_length = strcmp(e->key, "length") == 0;
    if (strcmp(e->key, "location") == 0) loc = e->value;
    else if ((is_offset || is_length) && !parse_decimal(e->value, is_offset ? &offset : &length))
      return kn_fail(ctx, KN_EINVAL, "tensor %s: external data %s '%s' is not a non-negative decimal number", tn,
                     e->key, e->value);
  }
  if (!loc) return kn_fail(ctx, KN_EINVAL, "tensor %s: external data without a location", tn);
  if (!dir) return kn_fail(ctx, KN_EINVAL, "tensor %s: external data but no model folder to resolve it", tn);
  if (!safe_relative_path(loc))
    return kn_fail(ctx, KN_EINVAL, "tensor %s: external data location '%s' points outside the model folder", tn, loc);
  if (length >= 0 && length != t->nbytes)
    return kn_fail(ctx, KN_EINVAL, "tensor %s: external data offset %lld / length %lld do not match %lld bytes", tn,
                   (long long)offset, (long long)length, (long long)t->nbytes);
  int fd;
  int64_t size;
  KN_TRY(open_inside(ctx, tn, dir, loc, &fd, &size));
  kn_status st = KN_OK;
  if (offset > size || t->nbytes > size - offset)
    st = kn_fail(ctx, KN_EINVAL, "tensor %s: external data %s is too short (needs %lld bytes at offset %lld)", tn,
                 loc, (long long)t->nbytes, (long long)offset);
  for (int64_t done = 0; st == KN_OK && done < t->nbytes;) {
    ssize_t r = pread(fd, (char *)t->data + done, (size_t)(t->nbytes - done), (off_t)(offset + done));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) st = kn_fail(ctx, KN_EIO, "tensor %s: read error in external data %s", tn, loc);
    else done += r;
  }
  close(fd);
  return st;
}
