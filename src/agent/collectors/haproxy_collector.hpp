// HAProxy's part of a heartbeat: the running/stopped/absent state from HaproxyStateProbe plus version,
// uptime and per frontend/backend/server rows read over the stats socket ("show info", "show stat")
// within one overall time budget. Whatever is missing is explained in `detail`
// ("stats socket /run/haproxy/admin.sock: permission denied"); it never fails the sample.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/protocol.hpp"

namespace balctl::agent::collectors {

class HaproxyStateProbe;

// Each query of a collection gets what is left of this budget: both together stay well inside a 1 s
// heartbeat interval.
inline constexpr std::chrono::milliseconds kStatsBudget{400};

struct HaproxyStats {
  std::string version;
  std::optional<std::int64_t> uptime_s;
  std::vector<protocol::HaproxyRow> rows;
  std::string detail;     // empty when both queries worked and every row was kept
  bool answered = false;  // the socket answered "show info"
};

// Why HAProxy counts as "running, stats unavailable": running while its socket did not answer "show
// info" (then the reason), else empty. A stopped HAProxy is not degraded, it is down.
std::string stats_error_for(protocol::HaproxyState state, const HaproxyStats& stats);

// Runs "show info" then "show stat" on `socket_path`, both within `budget` in total.
HaproxyStats read_haproxy_stats(const std::string& socket_path,
                                std::chrono::milliseconds budget = kStatsBudget);

// The whole HaproxyReport: probes the state, and asks the socket only when HAProxy is running (a
// stopped HAProxy has nothing to say, and asking would only wait for the timeout).
protocol::HaproxyReport collect_haproxy(HaproxyStateProbe& probe, const std::string& socket_path,
                                        std::chrono::milliseconds budget = kStatsBudget);

}  // namespace balctl::agent::collectors
