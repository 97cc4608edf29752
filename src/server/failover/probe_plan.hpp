// How hard a confirmation probe tries before it votes "unreachable", derived from the pool's delay.
//
// Why several attempts: on a lossy path (20 % loss, 0-600 ms round trips were seen) one TCP connect
// loses its SYN or SYN-ACK a third of the time, and the kernel's own retransmission comes only after
// 1 s. Fresh connects started `spacing` apart and raced (tcp_connects_any) ride that out: four attempts
// all fail by chance about 1-2 % of the time instead of 36 %. Why a timeout derived from the delay: a
// fixed 500 ms is shorter than such a path's round trip; a fifth of the delay leaves room for a whole
// round (task delivery, attempts, report) before the delay expires.
#pragma once

#include <algorithm>
#include <cstdint>

namespace balctl::failover {

struct ProbePlan {
  std::int64_t attempt_timeout_ms = 1000;  // each connection attempt
  int attempts = 4;                        // raced attempts per port
  std::int64_t spacing_ms = 200;           // between the starts of two attempts

  // The longest one port's probe can take.
  std::int64_t budget_ms() const { return (attempts - 1) * spacing_ms + attempt_timeout_ms; }
};

inline ProbePlan probe_plan_for(std::int64_t delay_ms) {
  ProbePlan plan;
  plan.attempt_timeout_ms = std::clamp<std::int64_t>(delay_ms / 5, 500, 2000);
  return plan;
}

}  // namespace balctl::failover
