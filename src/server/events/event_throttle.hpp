// At most one event per key (a member id) per period: a misconfigured agent retrying a refused request
// every second must not flood the event log, but its first refusal is always recorded.
#pragma once

#include <cstdint>
#include <mutex>
#include <unordered_map>

namespace balctl::events {

// How often a refusal (heartbeat or enrolment from the wrong address) is recorded per member.
inline constexpr std::int64_t kRefusalEventPeriodMs = 60'000;

class EventThrottle {
 public:
  explicit EventThrottle(std::int64_t period_ms) : period_ms_(period_ms) {}

  // True (and the period restarts) when no event for `key` was let through in the last period.
  bool due(std::int64_t key, std::int64_t now_steady_ms);

 private:
  const std::int64_t period_ms_;
  std::mutex mutex_;
  std::unordered_map<std::int64_t, std::int64_t> last_ms_;  // one entry per member ever refused
};

}  // namespace balctl::events
