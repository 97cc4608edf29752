// One command over HAProxy's UNIX stats socket (the runtime API), with a deadline so a hung HAProxy can
// never stall the agent: non-blocking connect, send and receive, each wait a poll() bounded by what is
// left of the deadline. Errors say which socket and why, e.g. "stats socket /run/haproxy/admin.sock:
// permission denied", "...: no such file", "...: timed out waiting for the reply".
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "common/result.hpp"

namespace balctl::agent::collectors {

inline constexpr std::size_t kMaxSocketReply = 8 << 20;

// Sends `command` (one line, no newline in it) and returns HAProxy's whole reply. Without "prompt" mode
// HAProxy answers one command and closes, so the reply ends at EOF.
Result<std::string> query_stats_socket(const std::string& path, std::string_view command,
                                       std::chrono::steady_clock::time_point deadline,
                                       std::size_t max_reply = kMaxSocketReply);
Result<std::string> query_stats_socket(const std::string& path, std::string_view command,
                                       std::chrono::milliseconds timeout,
                                       std::size_t max_reply = kMaxSocketReply);

}  // namespace balctl::agent::collectors
