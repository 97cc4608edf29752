#pragma once

#include <cstdint>
#include <string>

namespace balctl::time {

// Wall-clock milliseconds since the Unix epoch; what we store and print.
std::int64_t unix_ms_now();
// Milliseconds of a monotonic clock; what we compare liveness against.
std::int64_t steady_ms_now();
// "2026-11-25T05:04:00.123Z"; empty for 0 (never).
std::string rfc3339(std::int64_t unix_ms);

}  // namespace balctl::time
