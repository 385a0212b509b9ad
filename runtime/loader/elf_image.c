/* elf_image.c: a bounded reader of ELF64 little-endian shared libraries
 * (elf_image.h), so kiln can check an ahead-of-time built model before
 * dlopen runs any of its code (a damaged file used to crash inside dlopen)
 * and so kiln compile can hash the library it linked. Reads go through pread
 * against the size taken at open, never a mapping (a file that shrinks later
 * is a read error, not SIGBUS). Opening checks what the dynamic loader
 * trusts: the ELF header, that program and section headers and every
 * segment's file range lie in the file, loaded segments in order without
 * overlap, one dynamic section inside a loaded segment, its relocation tables
 * (known types, targets in writable memory, symbols in range, the RELATIVE
 * count glibc asserts on) and the dynamic symbol table, which must agree with
 * its section header. Relocations are kept sorted by address, so a pointer in
 * the file is read as it will be after loading. */
#include "elf_image.h"
#include "rt.h"
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef DT_RELR /* glibc before 2.36 */
#define DT_RELRSZ 35
#define DT_RELR 36
#endif
#define MAX_PHDRS 256
#define MAX_RELOCS (1 << 22)

typedef struct reloc {
  uint64_t at;     /* the word it sets */
  uint64_t addend; /* RELATIVE: the value after loading at base 0 */
  bool relative;
} reloc;

struct kn_elf {
  kn_ctx *kn;
  char *path;
  int fd;
  uint64_t size;
  unsigned machine;
  Elf64_Phdr ph[MAX_PHDRS];
  int nph;
  int load[MAX_PHDRS]; /* indices of the PT_LOAD headers, in vaddr order */
  int nload;
  reloc *rel;
  size_t nrel;
  Elf64_Sym *sym;
  size_t nsym;
  char *str;
  uint64_t strsz;
};

unsigned kn_elf_host_machine(void) {
#if defined(__x86_64__)
  return EM_X86_64;
#elif defined(__aarch64__)
  return EM_AARCH64;
#else
  return 0;
#endif
}

const char *kn_elf_machine_name(unsigned m) {
  return m == EM_X86_64 ? "x86_64" : m == EM_AARCH64 ? "aarch64" : m == EM_ARM ? "arm" : m == EM_RISCV ? "riscv"
         : m == EM_386 ? "x86 (32-bit)" : "another architecture";
}

/* [off, off + n) inside [0, size), without overflow */
static bool within(uint64_t off, uint64_t n, uint64_t size) { return off <= size && n <= size - off; }

static kn_status bad(kn_elf *e, const char *what) {
  return kn_fail(e->kn, KN_EPARSE, "%s: a damaged or unsupported shared library: %s", e->path, what);
}

static kn_status pread_all(kn_elf *e, uint64_t off, void *buf, size_t n) {
  if (!within(off, n, e->size)) return bad(e, "a read past the end of the file");
  unsigned char *p = buf;
  while (n > 0) {
    ssize_t r = pread(e->fd, p, n, (off_t)off);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return kn_fail(e->kn, KN_EIO, "%s: cannot read: %s", e->path, r < 0 ? strerror(errno) : "the file shrank");
    p += r, off += (uint64_t)r, n -= (size_t)r;
  }
  return KN_OK;
}

static const Elf64_Phdr *segment_of(const kn_elf *e, uint64_t vaddr, uint64_t n, bool file_part) {
  for (int k = 0; k < e->nload; k++) {
    const Elf64_Phdr *p = &e->ph[e->load[k]];
    uint64_t len = file_part ? p->p_filesz : p->p_memsz;
    if (vaddr >= p->p_vaddr && within(vaddr - p->p_vaddr, n, len)) return p;
  }
  return NULL;
}

bool kn_elf_mapped(const kn_elf *e, uint64_t vaddr, uint64_t n, unsigned flags) {
  const Elf64_Phdr *p = segment_of(e, vaddr, n, false);
  return p && (p->p_flags & flags) == flags;
}

bool kn_elf_file_offset(const kn_elf *e, uint64_t vaddr, uint64_t n, uint64_t *off) {
  const Elf64_Phdr *p = segment_of(e, vaddr, n, true);
  if (p) *off = p->p_offset + (vaddr - p->p_vaddr);
  return p != NULL;
}

kn_status kn_elf_read(kn_elf *e, uint64_t vaddr, void *buf, size_t n, const char *what) {
  uint64_t off;
  if (!kn_elf_file_offset(e, vaddr, n, &off))
    return kn_fail(e->kn, KN_EPARSE, "%s: %s (%zu bytes at 0x%llx) is not in the file's loaded segments", e->path,
                   what, n, (unsigned long long)vaddr);
  return pread_all(e, off, buf, n);
}

static int reloc_cmp(const void *a, const void *b) {
  uint64_t x = ((const reloc *)a)->at, y = ((const reloc *)b)->at;
  return x < y ? -1 : x > y;
}

static const reloc *reloc_at(const kn_elf *e, uint64_t vaddr) {
  reloc key = {.at = vaddr};
  return bsearch(&key, e->rel, e->nrel, sizeof *e->rel, reloc_cmp);
}

kn_status kn_elf_pointer(kn_elf *e, uint64_t vaddr, uint64_t *value, const char *what) {
  uint64_t w;
  KN_TRY(kn_elf_read(e, vaddr, &w, 8, what));
  const reloc *r = reloc_at(e, vaddr);
  if (r && !r->relative)
    return kn_fail(e->kn, KN_EPARSE, "%s: %s is bound to a symbol at load time, not a pointer into the library",
                   e->path, what);
  if (!r && w != 0)
    return kn_fail(e->kn, KN_EPARSE, "%s: %s is a pointer without a relocation (not position independent)", e->path,
                   what);
  *value = r ? r->addend : 0;
  return KN_OK;
}

kn_status kn_elf_string(kn_elf *e, uint64_t vaddr, char *buf, size_t cap, const char *what) {
  const Elf64_Phdr *p = segment_of(e, vaddr, 1, true);
  if (!p)
    return kn_fail(e->kn, KN_EPARSE, "%s: %s (at 0x%llx) is not in the file's loaded segments", e->path, what,
                   (unsigned long long)vaddr);
  uint64_t room = p->p_vaddr + p->p_filesz - vaddr;
  size_t n = room < cap ? (size_t)room : cap;
  KN_TRY(pread_all(e, p->p_offset + (vaddr - p->p_vaddr), buf, n));
  if (!memchr(buf, 0, n))
    return kn_fail(e->kn, KN_EPARSE, "%s: %s is not a string ending within %zu bytes", e->path, what,
                   n < cap ? n : cap - 1);
  return KN_OK;
}

bool kn_elf_lookup(const kn_elf *e, const char *name, kn_elf_sym *out) {
  for (size_t i = 1; i < e->nsym; i++) {
    const Elf64_Sym *s = &e->sym[i];
    if (strcmp(e->str + s->st_name, name) != 0) continue;
    out->value = s->st_value;
    out->size = s->st_size;
    out->type = ELF64_ST_TYPE(s->st_info);
    out->defined = s->st_shndx != SHN_UNDEF;
    return true;
  }
  return false;
}

/* ---- opening ---- */
static kn_status check_header(kn_elf *e, Elf64_Ehdr *h) {
  if (e->size < 4 || pread_all(e, 0, h->e_ident, 4) != KN_OK || memcmp(h->e_ident, ELFMAG, SELFMAG) != 0)
    return kn_fail(e->kn, KN_EPARSE, "%s: not an ELF shared library", e->path);
  if (e->size < sizeof *h) return bad(e, "the file is shorter than an ELF header");
  KN_TRY(pread_all(e, 0, h, sizeof *h));
  if (h->e_ident[EI_CLASS] != ELFCLASS64 || h->e_ident[EI_DATA] != ELFDATA2LSB || h->e_machine != e->machine)
    return kn_fail(e->kn, KN_EUNSUPPORTED,
                   "%s was built for %s, this machine is %s: run it there (kiln compile --target)", e->path,
                   h->e_ident[EI_CLASS] != ELFCLASS64    ? "a 32-bit target"
                   : h->e_ident[EI_DATA] != ELFDATA2LSB ? "a big-endian target"
                                                        : kn_elf_machine_name(h->e_machine),
                   kn_elf_machine_name(e->machine));
  if (h->e_type != ET_DYN) return kn_fail(e->kn, KN_EPARSE, "%s: an ELF file but not a shared library", e->path);
  if (h->e_ident[EI_VERSION] != EV_CURRENT || h->e_version != EV_CURRENT || h->e_ehsize != sizeof *h)
    return bad(e, "the ELF header has an unknown version or size");
  if (h->e_phentsize != sizeof(Elf64_Phdr) || h->e_phnum == 0 || h->e_phnum > MAX_PHDRS)
    return bad(e, "implausible program header count or size");
  if (!within(h->e_phoff, (uint64_t)h->e_phnum * sizeof(Elf64_Phdr), e->size))
    return bad(e, "the program headers lie past the end of the file (truncated?)");
  return KN_OK;
}

static kn_status check_segments(kn_elf *e, const Elf64_Ehdr *h) {
  e->nph = h->e_phnum;
  KN_TRY(pread_all(e, h->e_phoff, e->ph, sizeof(Elf64_Phdr) * (size_t)e->nph));
  uint64_t end = 0;
  int ndyn = 0;
  for (int i = 0; i < e->nph; i++) {
    const Elf64_Phdr *p = &e->ph[i];
    if (p->p_type == PT_NULL || p->p_type == PT_GNU_STACK) continue;
    if (!within(p->p_offset, p->p_filesz, e->size))
      return bad(e, "a segment's file range lies past the end of the file (truncated?)");
    if (p->p_filesz > p->p_memsz || p->p_memsz > ((uint64_t)1 << 47) || p->p_vaddr > ((uint64_t)1 << 47) - p->p_memsz)
      return bad(e, "a segment has an implausible size or address");
    if (p->p_type == PT_DYNAMIC) ndyn++;
    if (p->p_type != PT_LOAD) continue;
    if (p->p_align > 1 && ((p->p_align & (p->p_align - 1)) || (p->p_vaddr - p->p_offset) % p->p_align))
      return bad(e, "a loaded segment's address and file offset disagree with its alignment");
    if (e->nload > 0 && p->p_vaddr < end) return bad(e, "loaded segments overlap or are out of order");
    end = p->p_vaddr + p->p_memsz;
    e->load[e->nload++] = i;
  }
  if (e->nload == 0) return bad(e, "no loaded segment");
  if (ndyn != 1) return bad(e, "not exactly one dynamic section");
  return KN_OK;
}

/* Section headers: every section's file range in the file, and the dynamic
 * symbol table found here (it has the count the dynamic section lacks). */
static kn_status check_sections(kn_elf *e, const Elf64_Ehdr *h, uint64_t *symtab_off, uint64_t *nsym,
                                uint64_t *str_vaddr, uint64_t *str_size) {
  *nsym = 0;
  int dynsym = -1;
  Elf64_Shdr *sh = NULL;
  if (h->e_shoff != 0 || h->e_shnum != 0) {
    if (h->e_shentsize != sizeof(Elf64_Shdr) || h->e_shnum == 0 || h->e_shstrndx >= h->e_shnum)
      return bad(e, "implausible section header count, size or name table");
    if (!within(h->e_shoff, (uint64_t)h->e_shnum * sizeof(Elf64_Shdr), e->size))
      return bad(e, "the section headers lie past the end of the file (truncated?)");
  }
  if (h->e_shnum > 0) {
    sh = malloc(sizeof *sh * h->e_shnum);
    if (!sh) return kn_fail(e->kn, KN_ENOMEM, "out of memory");
    kn_status st = pread_all(e, h->e_shoff, sh, sizeof *sh * h->e_shnum);
    if (st != KN_OK) {
      free(sh);
      return st;
    }
  }
  kn_status st = KN_OK;
  for (int i = 0; st == KN_OK && i < h->e_shnum; i++) {
    if (sh[i].sh_type != SHT_NOBITS && !within(sh[i].sh_offset, sh[i].sh_size, e->size))
      st = bad(e, "a section lies past the end of the file (truncated?)");
    else if (sh[i].sh_type == SHT_DYNSYM && dynsym < 0) dynsym = i;
  }
  if (st == KN_OK && dynsym < 0) st = bad(e, "no dynamic symbol table section");
  if (st == KN_OK) {
    const Elf64_Shdr *s = &sh[dynsym];
    if (s->sh_entsize != sizeof(Elf64_Sym) || s->sh_size % sizeof(Elf64_Sym) || s->sh_link >= h->e_shnum ||
        sh[s->sh_link].sh_type != SHT_STRTAB)
      st = bad(e, "a malformed dynamic symbol table section");
    else {
      *symtab_off = s->sh_offset;
      *nsym = s->sh_size / sizeof(Elf64_Sym);
      *str_vaddr = sh[s->sh_link].sh_addr;
      *str_size = sh[s->sh_link].sh_size;
      /* the table the dynamic loader uses is the one the section names */
      uint64_t off;
      if (!kn_elf_file_offset(e, s->sh_addr, s->sh_size, &off) || off != s->sh_offset ||
          !kn_elf_file_offset(e, *str_vaddr, *str_size, &off) || off != sh[s->sh_link].sh_offset)
        st = bad(e, "the dynamic symbol table is not where its section header says");
    }
  }
  free(sh);
  return st;
}

static bool known_reloc(unsigned machine, uint32_t type, bool *relative) {
  *relative = false;
  if (machine == EM_X86_64) switch (type) {
    case R_X86_64_RELATIVE: *relative = true; return true;
    case R_X86_64_NONE: case R_X86_64_64: case R_X86_64_GLOB_DAT: case R_X86_64_JUMP_SLOT: case R_X86_64_DTPMOD64:
    case R_X86_64_DTPOFF64: case R_X86_64_TPOFF64: case R_X86_64_TLSDESC: case R_X86_64_IRELATIVE: return true;
    default: return false;
    }
  if (machine == EM_AARCH64) switch (type) {
    case R_AARCH64_RELATIVE: *relative = true; return true;
    case R_AARCH64_NONE: case R_AARCH64_ABS64: case R_AARCH64_GLOB_DAT: case R_AARCH64_JUMP_SLOT:
    case R_AARCH64_TLS_DTPMOD: case R_AARCH64_TLS_DTPREL: case R_AARCH64_TLS_TPREL: case R_AARCH64_TLSDESC:
    case R_AARCH64_IRELATIVE: return true;
    default: return false;
    }
  return false;
}

static kn_status add_reloc(kn_elf *e, size_t *cap, uint64_t at, uint64_t addend, bool relative) {
  if (!kn_elf_mapped(e, at, 8, KN_ELF_W)) return bad(e, "a relocation writes outside the writable segments");
  if (e->nrel == *cap) {
    if (*cap >= MAX_RELOCS) return bad(e, "more relocations than kiln accepts");
    size_t n = *cap ? *cap * 2 : 64;
    reloc *r = realloc(e->rel, sizeof *r * n);
    if (!r) return kn_fail(e->kn, KN_ENOMEM, "out of memory");
    e->rel = r, *cap = n;
  }
  e->rel[e->nrel++] = (reloc){at, addend, relative};
  return KN_OK;
}

/* A RELA table [vaddr, vaddr + bytes): every entry known, in range; the
 * first `nrelative` must be RELATIVE (DT_RELACOUNT). */
static kn_status read_rela(kn_elf *e, size_t *cap, uint64_t vaddr, uint64_t bytes, uint64_t nrelative) {
  if (bytes == 0) return KN_OK;
  uint64_t off;
  if (bytes % sizeof(Elf64_Rela) || !kn_elf_file_offset(e, vaddr, bytes, &off))
    return bad(e, "a relocation table lies outside the file's loaded segments");
  if (nrelative > bytes / sizeof(Elf64_Rela)) return bad(e, "DT_RELACOUNT is larger than the relocation table");
  Elf64_Rela buf[256];
  for (uint64_t i = 0, n = bytes / sizeof(Elf64_Rela); i < n;) {
    size_t k = n - i < 256 ? (size_t)(n - i) : 256;
    KN_TRY(pread_all(e, off + i * sizeof(Elf64_Rela), buf, k * sizeof *buf));
    for (size_t j = 0; j < k; j++, i++) {
      bool relative;
      uint32_t type = (uint32_t)ELF64_R_TYPE(buf[j].r_info), symi = (uint32_t)ELF64_R_SYM(buf[j].r_info);
      if (!known_reloc(e->machine, type, &relative)) return bad(e, "a relocation of an unknown type");
      if (i < nrelative && !relative) return bad(e, "a relocation counted as RELATIVE is not");
      if (symi >= e->nsym || (relative && symi != 0)) return bad(e, "a relocation names a symbol out of range");
      if (type == 0) continue; /* R_*_NONE: nothing is written */
      KN_TRY(add_reloc(e, cap, buf[j].r_offset, (uint64_t)buf[j].r_addend, relative));
    }
  }
  return KN_OK;
}

/* A RELR table (-z pack-relative-relocs): addresses and bitmaps of words
 * whose value in the file is the addend. */
static kn_status read_relr(kn_elf *e, size_t *cap, uint64_t vaddr, uint64_t bytes) {
  if (bytes == 0) return KN_OK;
  uint64_t off;
  if (bytes % 8 || !kn_elf_file_offset(e, vaddr, bytes, &off))
    return bad(e, "a relocation table lies outside the file's loaded segments");
  uint64_t where = 0;
  bool have = false;
  for (uint64_t i = 0; i < bytes / 8; i++) {
    uint64_t w, v;
    KN_TRY(pread_all(e, off + i * 8, &w, 8));
    if ((w & 1) == 0) {
      if (w % 8) return bad(e, "a packed relocation to an unaligned address");
      KN_TRY(kn_elf_read(e, w, &v, 8, "a word set by a packed relocation"));
      KN_TRY(add_reloc(e, cap, w, v, true));
      where = w + 8, have = true;
      continue;
    }
    if (!have) return bad(e, "a packed relocation bitmap before its first address");
    for (int b = 1; b < 64; b++)
      if (w >> b & 1) {
        uint64_t at = where + 8 * (uint64_t)(b - 1);
        KN_TRY(kn_elf_read(e, at, &v, 8, "a word set by a packed relocation"));
        KN_TRY(add_reloc(e, cap, at, v, true));
      }
    if (where > UINT64_MAX - 63 * 8) return bad(e, "a packed relocation bitmap past the address space");
    where += 63 * 8;
  }
  return KN_OK;
}

static kn_status check_dynamic(kn_elf *e, uint64_t symtab_off, uint64_t nsym, uint64_t str_vaddr,
                               uint64_t str_size) {
  const Elf64_Phdr *d = NULL;
  for (int i = 0; i < e->nph; i++)
    if (e->ph[i].p_type == PT_DYNAMIC) d = &e->ph[i];
  uint64_t off;
  if (d->p_filesz < sizeof(Elf64_Dyn) || !kn_elf_file_offset(e, d->p_vaddr, d->p_filesz, &off) || off != d->p_offset)
    return bad(e, "the dynamic section is not inside a loaded segment");
  uint64_t v[DT_NUM] = {0}, relr = 0, relrsz = 0, relacount = 0;
  bool seen[DT_NUM] = {false}, ended = false;
  for (uint64_t i = 0; !ended && i < d->p_filesz / sizeof(Elf64_Dyn); i++) {
    Elf64_Dyn x;
    KN_TRY(pread_all(e, d->p_offset + i * sizeof x, &x, sizeof x));
    if (x.d_tag == DT_NULL) ended = true;
    else if (x.d_tag == DT_RELR) relr = x.d_un.d_val;
    else if (x.d_tag == DT_RELRSZ) relrsz = x.d_un.d_val;
    else if (x.d_tag >= 0 && x.d_tag < DT_NUM) {
      if (seen[x.d_tag] && x.d_tag != DT_NEEDED) return bad(e, "a dynamic tag given twice");
      seen[x.d_tag] = true;
      v[x.d_tag] = x.d_un.d_val;
      if (x.d_tag == DT_NEEDED && x.d_un.d_val >= str_size) return bad(e, "a needed library's name is out of range");
    } else if (x.d_tag == DT_RELACOUNT) relacount = x.d_un.d_val;
  }
  if (!ended) return bad(e, "the dynamic section has no end");
  if (seen[DT_TEXTREL] || (v[DT_FLAGS] & DF_TEXTREL)) return bad(e, "relocations of code (text relocations)");
  if (v[DT_RELSZ] != 0) return bad(e, "REL relocations, which x86-64 and aarch64 libraries do not use");
  if (!seen[DT_SYMTAB] || !seen[DT_STRTAB] || v[DT_STRTAB] != str_vaddr || v[DT_STRSZ] != str_size ||
      !kn_elf_file_offset(e, v[DT_SYMTAB], 1, &off) || off != symtab_off ||
      (seen[DT_SYMENT] && v[DT_SYMENT] != sizeof(Elf64_Sym)))
    return bad(e, "the dynamic section's symbol tables disagree with the section headers");
  /* the symbols and their names */
  if (nsym > e->size / sizeof(Elf64_Sym) || str_size == 0 || str_size > e->size)
    return bad(e, "implausible symbol table sizes");
  e->sym = malloc(sizeof *e->sym * (size_t)(nsym ? nsym : 1));
  e->str = malloc((size_t)str_size);
  if (!e->sym || !e->str) return kn_fail(e->kn, KN_ENOMEM, "out of memory");
  e->nsym = (size_t)nsym;
  e->strsz = str_size;
  KN_TRY(pread_all(e, symtab_off, e->sym, sizeof *e->sym * e->nsym));
  KN_TRY(kn_elf_read(e, str_vaddr, e->str, (size_t)str_size, "the dynamic string table"));
  if (e->str[str_size - 1] != 0) return bad(e, "the dynamic string table does not end with a NUL");
  for (size_t i = 0; i < e->nsym; i++)
    if (e->sym[i].st_name >= str_size) return bad(e, "a symbol name out of range");
  /* relocations */
  size_t cap = 0;
  if (seen[DT_RELA] && seen[DT_RELAENT] && v[DT_RELAENT] != sizeof(Elf64_Rela))
    return bad(e, "relocation entries of an unknown size");
  if (seen[DT_JMPREL] && v[DT_PLTREL] != DT_RELA) return bad(e, "PLT relocations that are not RELA");
  KN_TRY(read_rela(e, &cap, v[DT_RELA], seen[DT_RELA] ? v[DT_RELASZ] : 0, relacount));
  KN_TRY(read_rela(e, &cap, v[DT_JMPREL], seen[DT_JMPREL] ? v[DT_PLTRELSZ] : 0, 0));
  KN_TRY(read_relr(e, &cap, relr, relr ? relrsz : 0));
  qsort(e->rel, e->nrel, sizeof *e->rel, reloc_cmp);
  for (size_t i = 1; i < e->nrel; i++)
    if (e->rel[i].at == e->rel[i - 1].at) return bad(e, "a word set by two relocations");
  return KN_OK;
}

kn_status kn_elf_open(kn_ctx *kn, const char *path, unsigned machine, bool writable, kn_elf **out) {
  *out = NULL;
  kn_elf *e = calloc(1, sizeof *e);
  if (!e || !(e->path = strdup(path))) {
    free(e);
    return kn_fail(kn, KN_ENOMEM, "out of memory");
  }
  e->kn = kn;
  e->machine = machine;
  e->fd = open(path, writable ? O_RDWR : O_RDONLY);
  struct stat sb;
  kn_status st = KN_OK;
  if (e->fd < 0 || fstat(e->fd, &sb) != 0) st = kn_fail(kn, KN_EIO, "%s: cannot open: %s", path, strerror(errno));
  else if (!S_ISREG(sb.st_mode)) st = kn_fail(kn, KN_EIO, "%s: not a regular file", path);
  e->size = st == KN_OK ? (uint64_t)sb.st_size : 0;
  Elf64_Ehdr h;
  uint64_t symtab_off = 0, nsym = 0, str_vaddr = 0, str_size = 0;
  if (st == KN_OK) st = check_header(e, &h);
  if (st == KN_OK) st = check_segments(e, &h);
  if (st == KN_OK) st = check_sections(e, &h, &symtab_off, &nsym, &str_vaddr, &str_size);
  if (st == KN_OK) st = check_dynamic(e, symtab_off, nsym, str_vaddr, str_size);
  if (st != KN_OK) {
    kn_elf_close(e);
    return st;
  }
  *out = e;
  return KN_OK;
}

void kn_elf_close(kn_elf *e) {
  if (!e) return;
  if (e->fd >= 0) close(e->fd);
  free(e->rel);
  free(e->sym);
  free(e->str);
  free(e->path);
  free(e);
}

/* ---- the image hash ---- */
kn_status kn_elf_image_hash(kn_elf *e, uint64_t zero_at, uint64_t *hash) {
  rt_hasher s;
  rt_hash_init(&s);
  size_t cap = 1 << 20;
  unsigned char *buf = malloc(cap);
  if (!buf) return kn_fail(e->kn, KN_ENOMEM, "out of memory");
  kn_status st = KN_OK;
  for (int i = 0; st == KN_OK && i < e->nph; i++) {
    const Elf64_Phdr *p = &e->ph[i];
    if (p->p_type != PT_LOAD) continue;
    for (uint64_t done = 0; st == KN_OK && done < p->p_filesz;) {
      size_t n = p->p_filesz - done < cap ? (size_t)(p->p_filesz - done) : cap;
      uint64_t off = p->p_offset + done;
      st = pread_all(e, off, buf, n);
      /* the bytes read as zeros: the ELF header's section-header fields
       * (e_shoff, e_shnum, e_shstrndx: all strip rewrites of it) and the
       * hash's own field */
      const uint64_t zero[3][2] = {{offsetof(Elf64_Ehdr, e_shoff), 8}, {offsetof(Elf64_Ehdr, e_shnum), 4}, {zero_at, 8}};
      for (int r = 0; st == KN_OK && r < 3; r++)
        for (uint64_t z = zero[r][0]; z < zero[r][0] + zero[r][1]; z++)
          if (z >= off && z < off + n) buf[z - off] = 0;
      if (st == KN_OK) rt_hash_feed(&s, buf, n);
      done += n;
    }
  }
  free(buf);
  *hash = rt_hash_end(&s);
  return st;
}

kn_status kn_elf_write(kn_elf *e, uint64_t off, const void *buf, size_t n) {
  if (!within(off, n, e->size)) return bad(e, "a write past the end of the file");
  if (pwrite(e->fd, buf, n, (off_t)off) != (ssize_t)n)
    return kn_fail(e->kn, KN_EIO, "%s: cannot write: %s", e->path, strerror(errno));
  return KN_OK;
}
