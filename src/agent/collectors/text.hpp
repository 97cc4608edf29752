// Text helpers shared by the collectors: bounded reads of the small files they look at (/proc,
// /etc/os-release, pidfiles) and cleaning of strings that came from the system before they go into a
// heartbeat.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace balctl::agent::collectors {

inline constexpr std::size_t kMaxTextFileBytes = std::size_t{256} * 1024;

// The whole file, or an error naming the path and the reason. Unlike an ifstream this never blocks on a
// FIFO someone put at a configured path, refuses anything but a regular file, and allocates only what
// the file holds. A longer file is an error rather than a silently cut text, which a parser would
// misread as complete.
Result<std::string> read_text_file(const std::string& path, std::size_t max_bytes = kMaxTextFileBytes);

// `text` as valid UTF-8 without control characters, at most `max_bytes` long: each offending byte
// becomes '?'. The control plane's JSON parser rejects invalid UTF-8, so one odd mount point name must
// not cost a whole heartbeat (and with it the member's liveness).
std::string clean_text(std::string_view text, std::size_t max_bytes = 256);

}  // namespace balctl::agent::collectors
