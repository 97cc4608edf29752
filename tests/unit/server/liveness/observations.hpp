// Heartbeat observations for the liveness tests: member `member` seen at steady time `steady_ms`, its wall
// clock stamp a fixed offset from it.
#pragma once

#include <cstdint>

#include "server/liveness/liveness_table.hpp"

namespace balctl::testing {

inline liveness::Observation seen(std::int64_t member, std::int64_t steady_ms,
                                  protocol::HaproxyState haproxy = protocol::HaproxyState::running) {
  liveness::Observation o;
  o.member_id = member;
  o.seq = steady_ms;
  o.agent_version = "0.1.0";
  o.haproxy = haproxy;
  o.source_ip = "127.0.0.1";
  o.steady_ms = steady_ms;
  o.wall_ms = 1'700'000'000'000 + steady_ms;
  return o;
}

}  // namespace balctl::testing
