// HAProxy's version, uptime and per frontend/backend/server rows, read over the stats socket with a
// deadline. The running/stopped/absent state comes from HaproxyStateProbe; this adds the detail. A
// missing or unreadable socket is reported in HaproxyReport::detail, never as a failure of the sample.
#pragma once

#include <chrono>
#include <string>

#include "common/protocol.hpp"

namespace balctl::agent::collectors {

struct HaproxyStats {
  std::string version;
  std::optional<std::int64_t> uptime_s;
  std::vector<protocol::HaproxyRow> rows;
  std::string detail;  // empty when both queries worked
  bool answered = false;  // the socket answered at least "show info"
};

// Runs "show info" and "show stat" on `socket_path`, each within `timeout`.
HaproxyStats read_haproxy_stats(const std::string& socket_path, std::chrono::milliseconds timeout);

}  // namespace balctl::agent::collectors
