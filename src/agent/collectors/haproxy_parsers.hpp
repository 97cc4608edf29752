// Pure parsers for the HAProxy runtime API's "show stat" (CSV) and "show info" output. Columns are found
// by their header name, not position, so HAProxy versions that add columns parse the same; truncated and
// garbage lines are skipped.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"
#include "common/result.hpp"

namespace balctl::agent::collectors {

// Rows of "show stat"; an error when there is no "# pxname,svname,..." header. At most
// protocol::kMaxHaproxyRows rows are returned.
Result<std::vector<protocol::HaproxyRow>> parse_show_stat(std::string_view csv);

struct HaproxyInfo {
  std::string version;
  std::optional<std::int64_t> uptime_s;
  std::optional<std::int64_t> pid;
};
// "show info" key/value lines; an error when neither Version nor Uptime_sec is present.
Result<HaproxyInfo> parse_show_info(std::string_view text);

}  // namespace balctl::agent::collectors
