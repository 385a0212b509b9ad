/* flip_bytes.c: writes a damaged copy of a file for tests/aot_load_test.sh:
 * N distinct byte positions, drawn by a fixed-seed generator (splitmix64, so
 * a seed gives the same positions on every machine), each XORed with a
 * nonzero byte, so every chosen byte really changes. It prints the positions
 * so a failing case can be looked at with readelf.
 * usage: flip_bytes IN OUT SEED N   (exit 0, or 1 with a message) */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static uint64_t next(uint64_t *s) {
  uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

int main(int argc, char **argv) {
  if (argc != 5) {
    fprintf(stderr, "usage: %s IN OUT SEED N\n", argv[0]);
    return 1;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    fprintf(stderr, "%s: cannot open\n", argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long size = ftell(f);
  fseek(f, 0, SEEK_SET);
  unsigned char *b = size > 0 ? malloc((size_t)size) : NULL;
  if (!b || fread(b, 1, (size_t)size, f) != (size_t)size) {
    fprintf(stderr, "%s: cannot read\n", argv[1]);
    return 1;
  }
  fclose(f);
  uint64_t s = strtoull(argv[3], NULL, 10);
  int n = atoi(argv[4]);
  long *at = calloc((size_t)(n > 0 ? n : 1), sizeof *at);
  if (!at || n > size) {
    fprintf(stderr, "cannot flip %d bytes of %ld\n", n, size);
    return 1;
  }
  for (int i = 0; i < n; i++) {
  again:
    at[i] = (long)(next(&s) % (uint64_t)size);
    for (int j = 0; j < i; j++)
      if (at[j] == at[i]) goto again;
    unsigned char x = (unsigned char)(1 + next(&s) % 255);
    b[at[i]] ^= x;
    printf("%s%ld", i ? " " : "", at[i]);
  }
  printf("\n");
  FILE *o = fopen(argv[2], "wb");
  if (!o || fwrite(b, 1, (size_t)size, o) != (size_t)size || fclose(o) != 0) {
    fprintf(stderr, "%s: cannot write\n", argv[2]);
    return 1;
  }
  free(at);
  free(b);
  return 0;
}
