// Small helpers shared by the decision engine's source files (not part of its interface).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

namespace balctl::failover::detail {

inline constexpr std::int64_t kMaxRetryMs = 30'000;

// Backoff between attempts to change the record: 1, 2, 4 ... 30 s.
inline std::int64_t retry_delay(int attempts) {
  const int exponent = std::clamp(attempts - 1, 0, 5);
  return std::min<std::int64_t>(1000LL << exponent, kMaxRetryMs);
}

// "4.5 s": durations in event messages.
inline std::string seconds(std::int64_t ms) {
  return std::to_string(ms / 1000) + "." + std::to_string((ms % 1000) / 100) + " s";
}

}  // namespace balctl::failover::detail
