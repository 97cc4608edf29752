// Per-thread and shared bookkeeping of one load run (Beast-free, so it stays out of engine.cpp's
// compile-heavy translation unit): each client thread's counters and connect throttle, and the
// cross-thread progress the orchestrating thread waits on.
#pragma once

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>

#include "bench/loadgen/engine.hpp"

namespace balctl::bench {

using Clock = std::chrono::steady_clock;

inline constexpr int kConnectsInFlight = 64;  // per client thread
inline constexpr std::size_t kMaxErrorBodyChars = 300;

inline std::uint32_t micros(Clock::duration d) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return static_cast<std::uint32_t>(std::clamp<std::int64_t>(us, 0, UINT32_MAX));
}

struct Worker {
  boost::asio::io_context io{1};
  RunResult stats;
  int connecting = 0;
  std::deque<std::function<void()>> waiting_connects;

  // Starts `connect` now or when one of the connects in flight on this thread completes.
  void launch_connect(std::function<void()> connect) {
    if (connecting >= kConnectsInFlight) {
      waiting_connects.push_back(std::move(connect));
      return;
    }
    ++connecting;
    connect();
  }
  void connect_finished() {
    --connecting;
    if (waiting_connects.empty()) return;
    auto next = std::move(waiting_connects.front());
    waiting_connects.pop_front();
    ++connecting;
    next();
  }

  void record_failure(const std::string& failure) {
    ++stats.errors;
    ++stats.failures[failure];
  }
  // Returns true for a 2xx reply.
  bool record_reply(unsigned status, const std::string& body, Clock::duration latency) {
    if (status >= 200 && status < 300) {
      ++stats.ok;
      if (stats.latencies_us.size() < kMaxSamples) stats.latencies_us.push_back(micros(latency));
      return true;
    }
    ++stats.errors;
    ++stats.statuses[status];
    if (stats.first_error_body.empty()) stats.first_error_body = body.substr(0, kMaxErrorBodyChars);
    return false;
  }
};

struct Progress {
  std::mutex mutex;
  std::condition_variable changed;
  std::size_t ready = 0;                 // connected, or given up connecting
  std::size_t finished = 0;              // done with the load phase
  std::atomic<std::uint64_t> issued{0};  // closed loop: requests started, for the request cap
  std::atomic<std::uint64_t> opened{0};  // connections up right now

  void add_ready() {
    std::lock_guard lock(mutex);
    ++ready;
    changed.notify_all();
  }
  void add_finished() {
    std::lock_guard lock(mutex);
    ++finished;
    changed.notify_all();
  }
  // Waits until `count()` reaches `target` or `deadline` passes; returns whether it was reached.
  template <class Count>
  bool wait_for(Count count, std::size_t target, Clock::time_point deadline) {
    std::unique_lock lock(mutex);
    return changed.wait_until(lock, deadline, [&] { return count() >= target; });
  }
};

}  // namespace balctl::bench
