// A cheap "is the control plane's port accepting connections?" check: one TCP connect, no TLS. While
// heartbeats back off, the agent runs this every interval so it notices the server's return at once.
#pragma once

#include <chrono>
#include <string>

namespace balctl::agent {

// host/port from an http(s) URL; false when the URL cannot be parsed.
bool split_host_port(const std::string& url, std::string& host, std::string& port);

bool tcp_reachable(const std::string& url, const std::string& bind_address, std::chrono::milliseconds timeout);

}  // namespace balctl::agent
