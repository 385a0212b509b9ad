# Dependencies.cmake: finds kiln's dependencies, each with an error that names
# the Debian package to install, so a fresh machine knows what is missing.
find_package(Threads REQUIRED)

find_program(PROTOC_C protoc-c)
if(NOT PROTOC_C)
  message(FATAL_ERROR "protoc-c not found: apt-get install protobuf-c-compiler")
endif()
find_path(PROTOBUF_C_INCLUDE_DIR protobuf-c/protobuf-c.h)
find_library(PROTOBUF_C_LIBRARY protobuf-c)
if(NOT PROTOBUF_C_INCLUDE_DIR OR NOT PROTOBUF_C_LIBRARY)
  message(FATAL_ERROR "libprotobuf-c not found: apt-get install libprotobuf-c-dev")
endif()

find_path(FFI_INCLUDE_DIR ffi.h PATHS /usr/include/x86_64-linux-gnu /usr/include/aarch64-linux-gnu)
find_library(FFI_LIBRARY ffi)
if(NOT FFI_INCLUDE_DIR OR NOT FFI_LIBRARY)
  message(FATAL_ERROR "libffi not found: apt-get install libffi-dev")
endif()

# LLVM's version file only accepts an exact major.minor, so check the major by hand.
find_package(LLVM CONFIG QUIET PATHS /usr/lib/llvm-19/lib/cmake/llvm NO_DEFAULT_PATH)
if(NOT LLVM_FOUND OR NOT LLVM_VERSION_MAJOR EQUAL 19)
  message(FATAL_ERROR "LLVM 19 not found: apt-get install llvm-19-dev")
endif()
find_program(CLANG19 clang-19)
if(NOT CLANG19)
  message(FATAL_ERROR "clang-19 not found: apt-get install clang-19")
endif()

if(KILN_TESTS)
  find_path(CMOCKA_INCLUDE_DIR cmocka.h)
  find_library(CMOCKA_LIBRARY cmocka)
  if(NOT CMOCKA_INCLUDE_DIR OR NOT CMOCKA_LIBRARY)
    message(FATAL_ERROR "cmocka not found: apt-get install libcmocka-dev (or -DKILN_TESTS=OFF)")
  endif()
endif()
