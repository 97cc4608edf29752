// Group commit for liveness: a background thread wakes every flush interval, marks silent members
// offline, and writes all changed member states plus queued events (member_offline and member_online
// among them) in one transaction. A kill -9 loses at most the batch that was still in memory: states
// together with the liveness events that describe them, which the members' next heartbeats raise again.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <thread>

#include "common/result.hpp"
#include "server/events/event_log.hpp"
#include "server/fleet/registry.hpp"
#include "server/liveness/liveness_table.hpp"
#include "server/store/store.hpp"

namespace balctl::liveness {

class Persister {
 public:
  Persister(store::Store& store, LivenessTable& liveness, fleet::Registry& registry, events::EventLog& events,
            std::chrono::milliseconds interval, std::int64_t started_steady_ms);
  ~Persister();
  Persister(const Persister&) = delete;
  Persister& operator=(const Persister&) = delete;

  void start();
  // Stops the thread and writes what is left.
  void stop();

  // One round: sweep for members gone silent, then write the batch. Public for tests.
  Status run_once(std::int64_t now_steady_ms);

 private:
  void loop();

  store::Store& store_;
  LivenessTable& liveness_;
  fleet::Registry& registry_;
  events::EventLog& events_;
  const std::chrono::milliseconds interval_;
  const std::int64_t started_steady_ms_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace balctl::liveness
