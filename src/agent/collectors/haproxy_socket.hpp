// One command over HAProxy's UNIX stats socket (the runtime API), with an overall deadline so a hung
// HAProxy can never stall the agent. Errors say which socket and why, e.g. "stats socket
// /run/haproxy/admin.sock: permission denied".
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace balctl::agent::collectors {

inline constexpr std::size_t kMaxSocketReply = 8 << 20;

Result<std::string> query_stats_socket(const std::string& path, std::string_view command,
                                       std::chrono::milliseconds timeout);

}  // namespace balctl::agent::collectors
