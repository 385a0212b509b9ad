/* test_sha256.c: the compile cache's SHA-256 (codegen/sha256.c) gives the
 * FIPS 180-2 example digests, whole and fed in pieces of every size from 1 to
 * 130 bytes (the block buffering), and cache sizes parse as documented. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cg_internal.h"
#include "unit.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void digest_hex(const uint8_t d[32], char out[65]) {
  for (int i = 0; i < 32; i++) sprintf(out + 2 * i, "%02x", d[i]);
}

/* The digest of msg, whole and in chunks of `piece` bytes. */
static void check(const char *msg, size_t n, const char *want) {
  uint8_t d[32];
  char got[65];
  cg_sha256_of(msg, n, d);
  digest_hex(d, got);
  assert_string_equal(got, want);
  for (size_t piece = 1; piece <= 130; piece++) {
    cg_sha256 s;
    cg_sha256_init(&s);
    for (size_t at = 0; at < n; at += piece) cg_sha256_update(&s, msg + at, n - at < piece ? n - at : piece);
    cg_sha256_final(&s, d);
    digest_hex(d, got);
    assert_string_equal(got, want);
  }
}

static void test_fips_examples(void **state) {
  (void)state;
  check("", 0, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  check("abc", 3, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"; /* 448 bits: a second padding block */
  check(two, strlen(two), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  char *million = malloc(1000000);
  assert_non_null(million);
  memset(million, 'a', 1000000);
  check(million, 1000000, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free(million);
}

static void test_cache_sizes(void **state) {
  (void)state;
  assert_int_equal(cg_cache_parse_size("1048576"), 1048576);
  assert_int_equal(cg_cache_parse_size("1K"), 1024);
  assert_int_equal(cg_cache_parse_size("512M"), 512ull << 20);
  assert_int_equal(cg_cache_parse_size("1.5g"), 3ull << 29);
  const char *bad[] = {"", "0", "-1", "G", "1T", "12 M", "lots", "1e30"};
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(cg_cache_parse_size(bad[i]), 0);
}

KT_MAIN(
    cmocka_unit_test(test_fips_examples),
    cmocka_unit_test(test_cache_sizes))
