/* elf_image.h: reads a 64-bit little-endian ELF shared library from its file,
 * without loading it, for kiln's loader (artifact.c checks an artifact before
 * dlopen runs any of its code) and for kiln compile (aot.c writes the hash of
 * the library it linked into its metadata). Opening checks the structure the
 * dynamic loader relies on: headers and segments inside the file, the dynamic
 * section, relocations and the dynamic symbol table. Addresses are the
 * library's own (load base 0); a pointer stored in the file is read with the
 * RELATIVE relocation that sets it at load time applied. Every read is
 * bounded by the file: a damaged file is an error with a message, never a
 * read out of bounds. */
#ifndef KILN_ELF_IMAGE_H
#define KILN_ELF_IMAGE_H

#include "ir.h" /* kn_status, kn_fail, KN_TRY */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct kn_elf kn_elf;

/* Segment permissions (ELF PF_* values). */
enum { KN_ELF_X = 1, KN_ELF_W = 2, KN_ELF_R = 4 };

typedef struct kn_elf_sym {
  uint64_t value, size;
  unsigned type; /* STT_* */
  bool defined;
} kn_elf_sym;

/* The ELF machine number of this host (EM_X86_64, EM_AARCH64), 0 otherwise. */
unsigned kn_elf_host_machine(void);
const char *kn_elf_machine_name(unsigned machine);
/* Opens path (writable: for kn_elf_write) and checks its structure; machine is
 * the e_machine it must have. Errors name the file. */
kn_status kn_elf_open(kn_ctx *kn, const char *path, unsigned machine, bool writable, kn_elf **out);
void kn_elf_close(kn_elf *e);
/* A symbol of the dynamic symbol table; false when there is none. */
bool kn_elf_lookup(const kn_elf *e, const char *name, kn_elf_sym *out);
/* Whether [vaddr, vaddr + n) lies in one loaded segment (its memory size)
 * whose permissions include `flags`. */
bool kn_elf_mapped(const kn_elf *e, uint64_t vaddr, uint64_t n, unsigned flags);
/* The file offset of [vaddr, vaddr + n), false unless it lies in the file
 * part of one loaded segment. */
bool kn_elf_file_offset(const kn_elf *e, uint64_t vaddr, uint64_t n, uint64_t *off);
/* Reads n bytes at vaddr from the file; `what` names them in the error. */
kn_status kn_elf_read(kn_elf *e, uint64_t vaddr, void *buf, size_t n, const char *what);
/* The pointer stored at vaddr as it will be after loading at base 0: the
 * addend of its RELATIVE relocation; 0 only for a NULL pointer (a nonzero
 * word without a relocation, or one bound to a symbol, is an error). */
kn_status kn_elf_pointer(kn_elf *e, uint64_t vaddr, uint64_t *value, const char *what);
/* The NUL-terminated string at vaddr (at most cap - 1 bytes, in the file). */
kn_status kn_elf_string(kn_elf *e, uint64_t vaddr, char *buf, size_t cap, const char *what);
/* kiln_rt_hash of the file bytes of the loaded segments, in program header
 * order, with the ELF header's e_shoff, e_shnum and e_shstrndx (which strip
 * rewrites) and the 8 bytes at file offset zero_at (where the hash itself is
 * kept) read as zeros. */
kn_status kn_elf_image_hash(kn_elf *e, uint64_t zero_at, uint64_t *hash);
/* Writes n bytes at file offset off (opened writable). */
kn_status kn_elf_write(kn_elf *e, uint64_t off, const void *buf, size_t n);

#endif
