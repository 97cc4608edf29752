#include "server/events/event_throttle.hpp"

namespace balctl::events {

bool EventThrottle::due(std::int64_t key, std::int64_t now_steady_ms) {
  std::lock_guard lock(mutex_);
  auto [it, inserted] = last_ms_.try_emplace(key, now_steady_ms);
  if (inserted) return true;
  if (now_steady_ms - it->second < period_ms_) return false;
  it->second = now_steady_ms;
  return true;
}

}  // namespace balctl::events
