/* compile_cache.c: the JIT's compile cache, object files kept in
 * --cache-dir, $KILN_CACHE_DIR or ~/.cache/kiln (docs/jit.md). A hit skips
 * LLVM's optimization and code generation, the expensive part; lowering still
 * runs, and the key is made from its result: the SHA-256 of the module's IR
 * exactly as kiln lowered it (so any change to the model's graph, its
 * constants that reach the code, its shapes, the flags or kiln's own lowering
 * and kernels changes it; the weights themselves are not in the object, they
 * are passed to it at run time), plus the triple, CPU, features, -O level,
 * kiln's and LLVM's versions.
 *
 * The cache must never make a run fail or compute something else, whatever
 * is in the directory: an entry is a header (magic, format version, key
 * length, object size, SHA-256 of the object), the full key and the object,
 * written to a unique temporary file in the same directory, fsynced and
 * renamed, so readers see whole entries only. A load opens without following
 * links and without blocking, accepts only a regular file, bounds the size
 * and verifies everything before LLVM sees a byte; an entry that does not
 * verify is reported under -v, removed and compiled again. A directory that
 * cannot be created or written means no cache and one warning. Temporary
 * files of killed compiles are removed after an hour, and the entries kept
 * under a size cap (--cache-max, $KILN_CACHE_MAX, default 1 GiB) by evicting
 * the least recently used (a hit touches its entry's mtime). */
#include "cg_internal.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

uint64_t cg_fnv1a(uint64_t h, const void *data, size_t n) {
  const unsigned char *p = data;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * CG_FNV_PRIME;
  return h;
}

/* ---- the entry format ---- */
static const uint8_t entry_magic[8] = {'K', 'I', 'L', 'N', 'C', 'C', 'O', 0x1a};
enum {
  ENTRY_VERSION = 1,
  /* magic, u32 version, u32 key length, u64 object size, SHA-256 of the object */
  HEADER_BYTES = 8 + 4 + 4 + 8 + 32,
  MAX_KEY_BYTES = 1 << 16
};
#define MAX_OBJECT_BYTES ((uint64_t)1 << 31) /* no model's object comes near */
#define STALE_TEMP_SECONDS 3600
#define DEFAULT_MAX_BYTES ((uint64_t)1 << 30)

static void put_le(uint8_t *p, uint64_t v, int n) {
  for (int i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_le(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}
static void hex(char *out, const uint8_t *d, size_t n) {
  for (size_t i = 0; i < n; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

/* ---- messages: one warning per process, notes under -v ---- */
static atomic_flag warned = ATOMIC_FLAG_INIT;

/* one line on stderr: head, the formatted message, tail */
static void say(const char *head, const char *tail, const char *fmt, va_list ap) {
  char msg[1200];
  vsnprintf(msg, sizeof msg, fmt, ap);
  fprintf(stderr, "%s%s%s\n", head, msg, tail);
}

static void KN_PRINTF(1, 2) warn_once(const char *fmt, ...) {
  if (atomic_flag_test_and_set(&warned)) return;
  va_list ap;
  va_start(ap, fmt);
  say("kiln: warning: compile cache: ", "; compiling without the cache", fmt, ap);
  va_end(ap);
}

static void KN_PRINTF(2, 3) note(const cg_cache *c, const char *fmt, ...) {
  if (!c->kn || c->kn->verbose < 1) return;
  va_list ap;
  va_start(ap, fmt);
  say("kiln: compile cache: ", "", fmt, ap);
  va_end(ap);
}

/* ---- the directory ---- */
/* mkdir -p; false with errno set when some part cannot be made. */
static bool make_dirs(const char *dir) {
  char p[4096];
  if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p) {
    errno = ENAMETOOLONG;
    return false;
  }
  for (char *s = p + 1;; s++) {
    if (*s != '/' && *s) continue;
    char was = *s;
    *s = 0;
    if (mkdir(p, 0777) != 0 && errno != EEXIST) return false;
    *s = was;
    if (!was) break;
  }
  struct stat st;
  if (stat(p, &st) != 0) return false;
  if (!S_ISDIR(st.st_mode)) {
    errno = ENOTDIR;
    return false;
  }
  return true;
}

/* A size with an optional K/M/G suffix (as --cache-max takes it); 0 when bad. */
uint64_t cg_cache_parse_size(const char *s) {
  char *end;
  errno = 0;
  double x = strtod(s, &end);
  double mul = 1;
  if (*end == 'K' || *end == 'k') mul = 1024.0, end++;
  else if (*end == 'M' || *end == 'm') mul = 1024.0 * 1024, end++;
  else if (*end == 'G' || *end == 'g') mul = 1024.0 * 1024 * 1024, end++;
  if (end == s || *end || errno || !(x > 0) || x * mul > 9e18) return 0;
  return (uint64_t)(x * mul) ? (uint64_t)(x * mul) : 1;
}

typedef struct dir_item {
  char name[256];
  struct timespec mtime;
  uint64_t size;
} dir_item;

static bool ends_with(const char *s, const char *tail) {
  size_t n = strlen(s), m = strlen(tail);
  return n >= m && !strcmp(s + n - m, tail);
}

/* An entry file name: kiln-HEX.kco, or kiln-HEX.o of the format before the
 * header (never read again; it counts towards the cap and ages out). */
static bool is_entry_name(const char *s) {
  if (strncmp(s, "kiln-", 5) != 0) return false;
  size_t n = strspn(s + 5, "0123456789abcdef");
  return n >= 16 && (!strcmp(s + 5 + n, ".kco") || !strcmp(s + 5 + n, ".o"));
}
static bool is_temp_name(const char *s) { return !strncmp(s, "kiln-", 5) && ends_with(s, ".tmp"); }

/* The regular files of the directory whose names pass keep(). */
static dir_item *list_dir(int dirfd, bool (*keep)(const char *), int *n) {
  *n = 0;
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0) close(fd);
    return NULL;
  }
  dir_item *items = NULL;
  int cap = 0;
  for (struct dirent *e; (e = readdir(d));) {
    struct stat st;
    if (!keep(e->d_name) || strlen(e->d_name) >= sizeof items->name) continue;
    if (fstatat(dirfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode)) continue;
    if (*n == cap) {
      dir_item *grown = realloc(items, sizeof *items * (size_t)(cap = cap ? 2 * cap : 64));
      if (!grown) break;
      items = grown;
    }
    dir_item *it = &items[(*n)++];
    snprintf(it->name, sizeof it->name, "%s", e->d_name);
    it->mtime = st.st_mtim;
    it->size = (uint64_t)st.st_size;
  }
  closedir(d);
  return items;
}

/* Temporary files older than an hour are left by compiles that were killed
 * (a live compile writes its file within seconds). */
static void remove_stale_temps(cg_cache *c) {
  int n;
  dir_item *items = list_dir(c->dirfd, is_temp_name, &n);
  time_t now = time(NULL);
  for (int i = 0; i < n; i++)
    if (now - items[i].mtime.tv_sec > STALE_TEMP_SECONDS && unlinkat(c->dirfd, items[i].name, 0) == 0)
      note(c, "removed the stale temporary file %s/%s", c->dir, items[i].name);
  free(items);
}

static int older_first(const void *a, const void *b) {
  const dir_item *x = a, *y = b;
  if (x->mtime.tv_sec != y->mtime.tv_sec) return x->mtime.tv_sec < y->mtime.tv_sec ? -1 : 1;
  if (x->mtime.tv_nsec != y->mtime.tv_nsec) return x->mtime.tv_nsec < y->mtime.tv_nsec ? -1 : 1;
  return strcmp(x->name, y->name);
}

/* Least recently used first until the entries fit the cap; the entry just
 * stored stays even if it alone is over it. */
static void evict(cg_cache *c) {
  int n;
  dir_item *items = list_dir(c->dirfd, is_entry_name, &n);
  uint64_t total = 0;
  for (int i = 0; i < n; i++) total += items[i].size;
  if (total > c->max_bytes) {
    qsort(items, (size_t)n, sizeof *items, older_first);
    int gone = 0;
    uint64_t freed = 0;
    for (int i = 0; i < n && total > c->max_bytes; i++) {
      if (!strcmp(items[i].name, c->name) || unlinkat(c->dirfd, items[i].name, 0) != 0) continue;
      total -= items[i].size;
      freed += items[i].size;
      gone++;
    }
    if (gone)
      note(c, "evicted %d least recently used entries (%llu bytes) to stay under %llu bytes", gone,
           (unsigned long long)freed, (unsigned long long)c->max_bytes);
  }
  free(items);
}

/* ---- the key ---- */
static bool make_key(cg_cache *c, const cg_options *opt, LLVMModuleRef mod, LLVMTargetMachineRef tm) {
  char *ir = LLVMPrintModuleToString(mod), *triple = LLVMGetTargetMachineTriple(tm),
       *cpu = LLVMGetTargetMachineCPU(tm), *feat = LLVMGetTargetMachineFeatureString(tm);
  size_t irn = strlen(ir);
  uint8_t d[32];
  cg_sha256_of(ir, irn, d);
  char dhex[65];
  hex(dhex, d, 32);
  unsigned major, minor, patch;
  LLVMGetVersion(&major, &minor, &patch);
  const char *fmt = "kiln compile cache key\n"
                    "kiln %s, LLVM %u.%u.%u, entry format %d\n"
                    "triple %s\ncpu %s\nfeatures %s\n"
                    "LLVM level O%d, JIT code model\n"
                    "module %zu bytes of IR, sha256 %s\n";
  int len = snprintf(NULL, 0, fmt, KN_VERSION, major, minor, patch, ENTRY_VERSION, triple, cpu, feat,
                     opt->opt_level, irn, dhex);
  c->key = len > 0 && len < MAX_KEY_BYTES ? malloc((size_t)len + 1) : NULL;
  if (c->key) {
    snprintf(c->key, (size_t)len + 1, fmt, KN_VERSION, major, minor, patch, ENTRY_VERSION, triple, cpu, feat,
             opt->opt_level, irn, dhex);
    c->key_len = (size_t)len;
    cg_sha256_of(c->key, c->key_len, d);
    char khex[65];
    hex(khex, d, 32);
    snprintf(c->name, sizeof c->name, "kiln-%.32s.kco", khex);
  }
  LLVMDisposeMessage(ir);
  LLVMDisposeMessage(triple);
  LLVMDisposeMessage(cpu);
  LLVMDisposeMessage(feat);
  return c->key != NULL;
}

bool cg_cache_open(cg_cache *c, kn_ctx *kn, const cg_options *opt, LLVMModuleRef mod, LLVMTargetMachineRef tm) {
  memset(c, 0, sizeof *c);
  c->kn = kn;
  c->dirfd = -1;
  const char *dir = opt->cache_dir;
  const char *env = getenv("KILN_CACHE_DIR");
  if (!dir && env && *env) dir = env;
  if (!dir) {
    const char *home = getenv("HOME");
    if (!home || !*home) {
      warn_once("no directory (HOME is not set; give --cache-dir or set KILN_CACHE_DIR)");
      return false;
    }
    snprintf(c->dir, sizeof c->dir, "%s/.cache/kiln", home);
  } else {
    snprintf(c->dir, sizeof c->dir, "%s", dir);
  }
  if (!make_dirs(c->dir)) {
    warn_once("cannot create the directory %s: %s", c->dir, strerror(errno));
    return false;
  }
  if (access(c->dir, R_OK | W_OK | X_OK) != 0) {
    warn_once("the directory %s is not writable: %s", c->dir, strerror(errno));
    return false;
  }
  c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (c->dirfd < 0) {
    warn_once("cannot open the directory %s: %s", c->dir, strerror(errno));
    return false;
  }
  c->max_bytes = opt->cache_max;
  const char *max = getenv("KILN_CACHE_MAX");
  if (!c->max_bytes && max && *max && !(c->max_bytes = cg_cache_parse_size(max)))
    fprintf(stderr, "kiln: warning: KILN_CACHE_MAX='%s' is not a size (e.g. 512M, 2G): the cache keeps 1G\n", max);
  if (!c->max_bytes) c->max_bytes = DEFAULT_MAX_BYTES;
  if (!make_key(c, opt, mod, tm)) {
    cg_cache_close(c);
    return false;
  }
  remove_stale_temps(c);
  return true;
}

void cg_cache_close(cg_cache *c) {
  if (c->dirfd >= 0) close(c->dirfd);
  c->dirfd = -1;
  free(c->key);
  c->key = NULL;
}

/* ---- load ---- */
static bool read_at(int fd, void *buf, size_t n, off_t at) {
  for (size_t done = 0; done < n;) {
    ssize_t r = pread(fd, (char *)buf + done, n - done, at + (off_t)done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += (size_t)r;
  }
  return true;
}

/* Removes the entry that failed to verify (st: what was opened, NULL when it
 * could not be; a file put there since then by a writer stays). */
static void reject(cg_cache *c, const struct stat *st, const char *why) {
  struct stat now;
  if (fstatat(c->dirfd, c->name, &now, AT_SYMLINK_NOFOLLOW) != 0 ||
      (st && (now.st_dev != st->st_dev || now.st_ino != st->st_ino))) {
    note(c, "%s/%s: %s; compiling again", c->dir, c->name, why);
    return;
  }
  int r = unlinkat(c->dirfd, c->name, S_ISDIR(now.st_mode) ? AT_REMOVEDIR : 0);
  if (r == 0) note(c, "%s/%s: %s; removed, compiling again", c->dir, c->name, why);
  else note(c, "%s/%s: %s; cannot remove it (%s), compiling again", c->dir, c->name, why, strerror(errno));
}

LLVMMemoryBufferRef cg_cache_load(cg_cache *c) {
  if (c->dirfd < 0) return NULL;
  /* O_NOFOLLOW: a symbolic link (to /dev/zero, say) is refused; O_NONBLOCK:
   * opening a FIFO does not wait for a writer */
  int fd = openat(c->dirfd, c->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return NULL; /* a miss */
    char why[200];
    snprintf(why, sizeof why, "%s", errno == ELOOP ? "a symbolic link, not an entry" : strerror(errno));
    reject(c, NULL, why);
    return NULL;
  }
  struct stat st;
  uint8_t h[HEADER_BYTES];
  char why[200] = "";
  char *key = NULL;
  uint8_t *obj = NULL;
  uint64_t size = 0;
  if (fstat(fd, &st) != 0) snprintf(why, sizeof why, "cannot stat it: %s", strerror(errno));
  else if (!S_ISREG(st.st_mode))
    snprintf(why, sizeof why, "not a regular file (%s)",
             S_ISFIFO(st.st_mode) ? "a FIFO" : S_ISDIR(st.st_mode) ? "a directory" : "a device or socket");
  else if (st.st_size < HEADER_BYTES || !read_at(fd, h, HEADER_BYTES, 0))
    snprintf(why, sizeof why, "%lld bytes, shorter than an entry's header", (long long)st.st_size);
  else if (memcmp(h, entry_magic, sizeof entry_magic) != 0) snprintf(why, sizeof why, "not a kiln cache entry");
  else if (get_le(h + 8, 4) != ENTRY_VERSION)
    snprintf(why, sizeof why, "entry format %u, this kiln writes %d", (unsigned)get_le(h + 8, 4), ENTRY_VERSION);
  else if ((size = get_le(h + 16, 8)) > MAX_OBJECT_BYTES || get_le(h + 12, 4) > MAX_KEY_BYTES)
    snprintf(why, sizeof why, "a header that gives impossible sizes");
  else if ((uint64_t)st.st_size != HEADER_BYTES + get_le(h + 12, 4) + size)
    snprintf(why, sizeof why, "%lld bytes where its header says %llu (truncated or grown)", (long long)st.st_size,
             (unsigned long long)(HEADER_BYTES + get_le(h + 12, 4) + size));
  else if (get_le(h + 12, 4) != c->key_len) snprintf(why, sizeof why, "the entry of another key (model or target)");
  else if (!(key = malloc(c->key_len)) || !(obj = malloc(size ? size : 1)))
    snprintf(why, sizeof why, "out of memory reading it");
  else if ((errno = 0, !read_at(fd, key, c->key_len, HEADER_BYTES)) ||
           !read_at(fd, obj, size, HEADER_BYTES + (off_t)c->key_len))
    snprintf(why, sizeof why, "cannot read it: %s", errno ? strerror(errno) : "it shrank");
  else if (memcmp(key, c->key, c->key_len) != 0)
    snprintf(why, sizeof why, "the entry of another key (model or target)");
  else {
    uint8_t d[32];
    cg_sha256_of(obj, size, d);
    if (memcmp(d, h + 24, 32) != 0) snprintf(why, sizeof why, "the object's checksum does not match (corrupted)");
  }
  LLVMMemoryBufferRef buf = NULL;
  if (*why) reject(c, &st, why);
  else {
    futimens(fd, NULL); /* recently used (for the LRU eviction); best effort */
    buf = LLVMCreateMemoryBufferWithMemoryRangeCopy((const char *)obj, (size_t)size, c->name);
  }
  free(key);
  free(obj);
  close(fd);
  return buf;
}

void cg_cache_drop(cg_cache *c, const char *why) {
  if (c->dirfd >= 0) reject(c, NULL, why);
}

/* ---- store ---- */
static bool write_all(int fd, const void *p, size_t n) {
  for (size_t done = 0; done < n;) {
    ssize_t r = write(fd, (const char *)p + done, n - done);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    done += (size_t)r;
  }
  return true;
}

void cg_cache_store(cg_cache *c, LLVMMemoryBufferRef obj) {
  if (c->dirfd < 0) return;
  static atomic_uint serial;
  const void *data = LLVMGetBufferStart(obj);
  size_t n = LLVMGetBufferSize(obj);
  uint8_t h[HEADER_BYTES];
  memcpy(h, entry_magic, sizeof entry_magic);
  put_le(h + 8, ENTRY_VERSION, 4);
  put_le(h + 12, c->key_len, 4);
  put_le(h + 16, n, 8);
  cg_sha256_of(data, n, h + 24);
  /* a name no other writer uses (the pid and a serial number, O_EXCL in case
   * another pid namespace shares the directory) */
  char tmp[160];
  int fd = -1;
  for (int i = 0; fd < 0 && i < 16; i++) {
    snprintf(tmp, sizeof tmp, "%s.%ld.%u.tmp", c->name, (long)getpid(), atomic_fetch_add(&serial, 1));
    fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) {
    warn_once("cannot write to %s: %s", c->dir, strerror(errno));
    return;
  }
  bool ok = write_all(fd, h, sizeof h) && write_all(fd, c->key, c->key_len) && write_all(fd, data, n);
  ok = ok && fsync(fd) == 0; /* the bytes are on disk before the name is */
  int err = ok ? 0 : errno;
  if (close(fd) != 0 && ok) ok = false, err = errno;
  if (ok && renameat(c->dirfd, tmp, c->dirfd, c->name) != 0) ok = false, err = errno;
  if (!ok) {
    unlinkat(c->dirfd, tmp, 0);
    warn_once("cannot write an entry to %s: %s", c->dir, strerror(err));
    return;
  }
  evict(c);
}
