// "Does host:port accept a TCP connection within the timeout?" - one non-blocking connect, no data.
// The control plane and the agents use it to check a silent active's frontends, and the agent to notice
// a control plane coming back.
#pragma once

#include <chrono>
#include <string>

namespace balctl {

// `address` is an IP address or host name; `bind_address` (optional) the source address to use.
bool tcp_connects(const std::string& address, int port, std::chrono::milliseconds timeout,
                  const std::string& bind_address = {});

}  // namespace balctl
