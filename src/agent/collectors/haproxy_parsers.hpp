// Pure parsers for the HAProxy runtime API's "show stat" (CSV) and "show info" output. Columns are found
// by their header name, not position, so HAProxy versions that add, drop or reorder columns parse the
// same; quoted CSV fields (HAProxy quotes text containing , " or a newline) are decoded; truncated and
// garbage records are skipped and counted. Strings are cleaned to the lengths the control plane accepts.
// Fuzzed in tests/fuzz/.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/protocol.hpp"
#include "common/result.hpp"

namespace balctl::agent::collectors {

struct ShowStat {
  std::vector<protocol::HaproxyRow> rows;  // at most protocol::kMaxHaproxyRows, in HAProxy's order
  std::size_t skipped = 0;                 // records left out: cut short, nameless or malformed
  bool truncated = false;                  // there were more rows than the cap; the rest are dropped
};
// An error when there is no "# pxname,svname,..." header (e.g. the socket answered "Unknown command").
Result<ShowStat> parse_show_stat(std::string_view csv);

struct HaproxyInfo {
  std::string version;
  std::optional<std::int64_t> uptime_s;
  std::optional<std::int64_t> pid;
};
// "Key: value" lines; an error quoting the reply's first line when neither Version nor Uptime_sec is
// there (e.g. "Permission denied").
Result<HaproxyInfo> parse_show_info(std::string_view text);

// HAProxy's numeric row type (0 frontend, 1 backend, 2 server, 3 listener) as a word; when the code is
// missing or unknown, the word follows from svname (FRONTEND, BACKEND, else a server).
std::string row_type(std::string_view type_code, std::string_view service);

}  // namespace balctl::agent::collectors
