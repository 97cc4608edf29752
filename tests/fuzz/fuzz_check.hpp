// Invariants the fuzz targets check beyond "no crash": a violated one aborts, so libFuzzer keeps the
// input as a finding.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "agent/collectors/text.hpp"

#define FUZZ_CHECK(condition)                                                            \
  do {                                                                                   \
    if (!(condition)) {                                                                  \
      std::fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #condition); \
      std::abort();                                                                      \
    }                                                                                    \
  } while (false)

namespace balctl::fuzz {

// What reaches the heartbeat must be clean text within the control plane's limit.
inline bool clean(std::string_view text, std::size_t max_bytes) {
  return text.size() <= max_bytes && agent::collectors::clean_text(text, max_bytes) == text;
}

}  // namespace balctl::fuzz
