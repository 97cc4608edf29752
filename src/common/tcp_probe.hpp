// "Does host:port accept a TCP connection within the timeout?" - non-blocking connects, no data.
// The control plane and the agents use it to check a silent active's frontends, and the agent to notice
// a control plane coming back.
#pragma once

#include <chrono>
#include <string>

namespace balctl {

// `address` is an IP address or host name; `bind_address` (optional) the source address to use.
bool tcp_connects(const std::string& address, int port, std::chrono::milliseconds timeout,
                  const std::string& bind_address = {});

struct RaceOutcome {
  bool connected = false;
  bool refused = false;  // the host answered with a reset: the port is closed, no attempt can succeed
  int attempts_started = 0;
};

// Up to `attempts` fresh connects started `spacing` apart and raced: true at the first that connects,
// false when all failed or timed out. Why: on a lossy path one lost SYN costs a whole kernel
// retransmission (1 s); a second connect started 200 ms later rides that out. A refusal ends the race
// at once (a reset comes from the host itself). Takes at most (attempts - 1) * spacing + timeout.
RaceOutcome tcp_race(const std::string& address, int port, int attempts, std::chrono::milliseconds spacing,
                     std::chrono::milliseconds attempt_timeout, const std::string& bind_address = {});

inline bool tcp_connects_any(const std::string& address, int port, int attempts,
                             std::chrono::milliseconds spacing, std::chrono::milliseconds attempt_timeout,
                             const std::string& bind_address = {}) {
  return tcp_race(address, port, attempts, spacing, attempt_timeout, bind_address).connected;
}

}  // namespace balctl
