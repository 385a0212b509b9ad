/* rt_artifact.c: what an ahead-of-time built model needs at run time, driven
 * entirely by the metadata the artifact exports (kiln_rt.h): a context holds
 * the workspace (allocated once), the thread pool and the weights (embedded,
 * or read from NAME.weights; either way checked against the size and hash
 * compiled into the artifact when the context is made); kiln_rt_run calls the compiled entry and fills the
 * outputs the code does not write itself. Nothing here knows a particular
 * model, so one runtime library serves every artifact of an ABI version.
 * Errors are a status plus a per-thread message, never an abort: a device
 * application decides what to do about a missing weights file. */
#include "kiln_rt.h"
#include "rt.h"
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kiln_rt_ctx {
  const kiln_artifact_meta *meta;
  rt_pool *pool;
  void *ws;
  const void *const *consts;
  const void **table; /* weights file: pointers into `weights` */
  void *weights;
};

static _Thread_local char last_error[512];
static pthread_mutex_t default_lock = PTHREAD_MUTEX_INITIALIZER;

static int fail(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(last_error, sizeof last_error, fmt, ap);
  va_end(ap);
  return status;
}

const char *kiln_rt_error(void) { return last_error; }

#define FNV_OFFSET 1469598103934665603ull
#define FNV_PRIME 1099511628211ull

void rt_hash_init(rt_hasher *s) {
  s->h = FNV_OFFSET;
  s->nbuf = 0;
}

void rt_hash_feed(rt_hasher *s, const void *data, size_t bytes) {
  const unsigned char *p = data;
  size_t i = 0;
  while (i < bytes && s->nbuf != 0) { /* finish a word begun by the last piece */
    s->buf[s->nbuf++] = p[i++];
    if (s->nbuf == 8) {
      uint64_t w;
      memcpy(&w, s->buf, 8);
      s->h = (s->h ^ w) * FNV_PRIME;
      s->nbuf = 0;
    }
  }
  uint64_t h = s->h;
  for (; i + 8 <= bytes; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ w) * FNV_PRIME;
  }
  s->h = h;
  for (; i < bytes; i++) s->buf[s->nbuf++] = p[i];
}

void rt_hash_zeros(rt_hasher *s, uint64_t bytes) {
  static const unsigned char zeros[256];
  for (; bytes > sizeof zeros; bytes -= sizeof zeros) rt_hash_feed(s, zeros, sizeof zeros);
  rt_hash_feed(s, zeros, (size_t)bytes);
}

uint64_t rt_hash_end(const rt_hasher *s) {
  uint64_t h = s->h;
  for (int i = 0; i < s->nbuf; i++) h = (h ^ s->buf[i]) * FNV_PRIME;
  return h;
}

uint64_t kiln_rt_hash(const void *data, size_t bytes) {
  rt_hasher s;
  rt_hash_init(&s);
  rt_hash_feed(&s, data, bytes);
  return rt_hash_end(&s);
}

static uint32_t this_arch(void) {
#if defined(__x86_64__)
  return KILN_ARCH_X86_64;
#elif defined(__aarch64__)
  return KILN_ARCH_AARCH64;
#else
  return 0;
#endif
}

int kiln_rt_check(const kiln_artifact_meta *m) {
  if (!m) return fail(KILN_EINVAL, "no model metadata");
  if (m->magic != KILN_ARTIFACT_MAGIC) return fail(KILN_EINVAL, "not a kiln artifact (bad magic)");
  if (m->abi_version != KILN_ABI_VERSION)
    return fail(KILN_EUNSUPPORTED, "artifact '%s' has kiln ABI version %u, this runtime has %u: rebuild it", m->name,
                m->abi_version, KILN_ABI_VERSION);
  if (m->arch != this_arch())
    return fail(KILN_EUNSUPPORTED, "artifact '%s' was built for %s, this runtime runs on %s", m->name,
                m->arch == KILN_ARCH_X86_64 ? "x86_64" : m->arch == KILN_ARCH_AARCH64 ? "aarch64" : "an unknown arch",
                this_arch() == KILN_ARCH_X86_64 ? "x86_64" : "aarch64");
  if (m->struct_bytes != sizeof *m) return fail(KILN_EUNSUPPORTED, "artifact '%s': metadata layout differs", m->name);
  return KILN_OK;
}

/* Reads NAME.weights and checks it is the file this artifact was built with. */
static int load_weights(kiln_rt_ctx *c, const char *path) {
  const kiln_artifact_meta *m = c->meta;
  if (!path) return fail(KILN_EIO, "model '%s' keeps its weights in a file: give the path of %s.weights", m->name, m->name);
  FILE *f = fopen(path, "rb");
  if (!f) return fail(KILN_EIO, "%s: %s", path, strerror(errno));
  kiln_weights_header h;
  int st = KILN_OK;
  if (fread(&h, sizeof h, 1, f) != 1 || memcmp(h.magic, KILN_WEIGHTS_MAGIC, 8) != 0)
    st = fail(KILN_EIO, "%s: not a kiln weights file", path);
  else if (h.abi_version != KILN_ABI_VERSION || h.nconsts != (uint32_t)m->nconsts ||
           h.data_bytes != (uint64_t)m->weights_bytes || h.hash != m->weights_hash)
    st = fail(KILN_EIO, "%s: these weights (%llu bytes) do not belong to model '%s' (%lld bytes)", path,
              (unsigned long long)h.data_bytes, m->name, (long long)m->weights_bytes);
  else if (fseek(f, (long)h.data_offset, SEEK_SET) != 0)
    st = fail(KILN_EIO, "%s: %s", path, strerror(errno));
  if (st == KILN_OK && !(c->weights = rt_workspace_alloc((size_t)h.data_bytes)))
    st = fail(KILN_ENOMEM, "out of memory for %llu bytes of weights", (unsigned long long)h.data_bytes);
  if (st == KILN_OK && h.data_bytes && fread(c->weights, 1, (size_t)h.data_bytes, f) != h.data_bytes)
    st = fail(KILN_EIO, "%s: the file is shorter than its header says", path);
  fclose(f);
  if (st == KILN_OK && kiln_rt_hash(c->weights, (size_t)h.data_bytes) != m->weights_hash)
    st = fail(KILN_EIO, "%s: the data does not match its hash (a damaged file)", path);
  if (st == KILN_OK && !(c->table = calloc((size_t)m->nconsts + 1, sizeof *c->table)))
    st = fail(KILN_ENOMEM, "out of memory");
  for (int32_t i = 0; st == KILN_OK && i < m->nconsts; i++)
    c->table[i] = m->const_offsets[i] < 0 ? NULL : (const char *)c->weights + m->const_offsets[i];
  c->consts = c->table;
  return st;
}

/* Embedded weights: the constants hashed as they would lie in a weights file
 * (each at its offset, zeros between), once per context, so a library whose
 * weights were damaged on disk or in memory is refused before it computes. */
static int check_embedded(const kiln_artifact_meta *m) {
  rt_hasher s;
  rt_hash_init(&s);
  int64_t at = 0;
  for (int32_t i = 0; i < m->nconsts; i++) {
    const void *p = m->consts ? m->consts[i] : NULL;
    int64_t off = m->const_offsets ? m->const_offsets[i] : -1, n = m->const_bytes ? m->const_bytes[i] : 0;
    if (!p || off < 0) continue;
    if (off < at || n < 0 || n > m->weights_bytes - off)
      return fail(KILN_EIO, "model '%s': the layout of its embedded weights is inconsistent (a damaged library)",
                  m->name);
    rt_hash_zeros(&s, (uint64_t)(off - at));
    rt_hash_feed(&s, p, (size_t)n);
    at = off + n;
  }
  if (at > m->weights_bytes || rt_hash_end(&s) != m->weights_hash)
    return fail(KILN_EIO, "model '%s': its embedded weights do not match their hash (a damaged library: build it again)",
                m->name);
  return KILN_OK;
}

kiln_rt_ctx *kiln_rt_ctx_new(const kiln_artifact_meta *m, int threads, const char *weights_path) {
  if (kiln_rt_check(m) != KILN_OK) return NULL;
  kiln_rt_ctx *c = calloc(1, sizeof *c);
  if (!c) {
    fail(KILN_ENOMEM, "out of memory");
    return NULL;
  }
  c->meta = m;
  int st = KILN_OK;
  if (!(c->ws = rt_workspace_alloc((size_t)m->workspace_bytes)))
    st = fail(KILN_ENOMEM, "out of memory for a %lld-byte workspace", (long long)m->workspace_bytes);
  if (st == KILN_OK && !(c->pool = rt_pool_create(threads))) st = fail(KILN_ENOMEM, "cannot start %d threads", threads);
  if (st == KILN_OK) {
    if (m->weights_in_file) st = load_weights(c, weights_path);
    else if ((st = check_embedded(m)) == KILN_OK) c->consts = m->consts;
  }
  if (st != KILN_OK) {
    kiln_rt_ctx_free(c);
    return NULL;
  }
  return c;
}

void kiln_rt_ctx_free(kiln_rt_ctx *c) {
  if (!c) return;
  rt_pool_destroy(c->pool);
  rt_workspace_free(c->ws);
  rt_workspace_free(c->weights);
  free(c->table);
  free(c);
}

int kiln_rt_init_default(const kiln_artifact_meta *m, const char *weights_path) {
  if (kiln_rt_check(m) != KILN_OK) return KILN_EINVAL;
  kiln_rt_ctx *c = kiln_rt_ctx_new(m, 1, weights_path);
  if (!c) return KILN_EIO;
  pthread_mutex_lock(&default_lock);
  kiln_rt_ctx *old = *m->default_ctx;
  *m->default_ctx = c;
  pthread_mutex_unlock(&default_lock);
  kiln_rt_ctx_free(old);
  return KILN_OK;
}

static kiln_rt_ctx *default_ctx(const kiln_artifact_meta *m) {
  pthread_mutex_lock(&default_lock);
  kiln_rt_ctx *c = *m->default_ctx;
  if (!c && m->weights_in_file)
    fail(KILN_EIO, "model '%s' keeps its weights in a file: call %s(\"%s.weights\") first", m->name, m->sym_init,
         m->name);
  else if (!c) c = *m->default_ctx = kiln_rt_ctx_new(m, 1, NULL);
  pthread_mutex_unlock(&default_lock);
  return c;
}

int kiln_rt_run(const kiln_artifact_meta *m, kiln_rt_ctx *c, void **io) {
  if (kiln_rt_check(m) != KILN_OK) return KILN_EINVAL;
  if (!c && !(c = default_ctx(m))) return KILN_EIO;
  if (c->meta != m) return fail(KILN_EINVAL, "the context belongs to model '%s', not '%s'", c->meta->name, m->name);
  for (int32_t i = 0; i < m->ninputs + m->noutputs; i++) {
    const kiln_io_info *t = i < m->ninputs ? &m->inputs[i] : &m->outputs[i - m->ninputs];
    if (!io[i] && t->nbytes > 0) return fail(KILN_EINVAL, "%s '%s' is NULL", i < m->ninputs ? "input" : "output", t->name);
    if (i < m->ninputs && t->src_kind == KILN_SRC_CONST && t->nbytes > 0 &&
        (t->src_index < 0 || t->src_index >= m->nconsts || !c->consts[t->src_index] ||
         memcmp(io[i], c->consts[t->src_index], (size_t)t->nbytes) != 0))
      return fail(KILN_EINVAL,
                  "input '%s' of model '%s' differs from the value it was compiled for (that input shapes the "
                  "graph, so the build is specialized to its value: compile again for another)",
                  t->name, m->name);
  }
  int32_t r = m->entry(io, c->ws, c->consts, c);
  if (r != 0)
    return fail(r, "model '%s' failed at run time with status %d%s", m->name, r,
                r == KILN_EINVAL ? " (an input value is out of range, e.g. a token id past the vocabulary)" : "");
  /* outputs the code does not write: copies of constants, inputs, other outputs */
  for (int32_t k = 0; k < m->noutputs; k++) {
    const kiln_io_info *t = &m->outputs[k];
    const void *src = t->src_kind == KILN_SRC_CONST    ? c->consts[t->src_index]
                      : t->src_kind == KILN_SRC_INPUT  ? io[t->src_index]
                      : t->src_kind == KILN_SRC_OUTPUT ? io[m->ninputs + t->src_index]
                                                       : NULL;
    if (src && t->nbytes > 0 && src != io[m->ninputs + k]) memcpy(io[m->ninputs + k], src, (size_t)t->nbytes);
  }
  return KILN_OK;
}

void kiln_parallel_for(void *rt, int64_t n, void (*body)(void *, int64_t, int64_t), void *ctx) {
  rt_parallel_for(((kiln_rt_ctx *)rt)->pool, n, body, ctx);
}
