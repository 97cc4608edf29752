# ccache keeps rebuilds in CI and on 2-core machines short.
find_program(CCACHE_PROGRAM ccache)
if(CCACHE_PROGRAM)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${CCACHE_PROGRAM})
endif()

add_library(balctl_warnings INTERFACE)
target_compile_options(balctl_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                                 -Wno-missing-field-initializers)

# Sanitizer builds stop at the first UBSan report (-fno-sanitize-recover), as the fuzz targets do, so a
# report fails the test that caused it instead of scrolling past in a log.
if(BALCTL_SANITIZE OR BALCTL_FUZZ)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()
if(BALCTL_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "BALCTL_FUZZ=ON needs clang, e.g. -DCMAKE_CXX_COMPILER=clang++-14")
  endif()
  # Coverage instrumentation everywhere; only the fuzz targets link libFuzzer's main (-fsanitize=fuzzer).
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
