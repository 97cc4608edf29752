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

// One client thread's counters; merged into the run's result after the threads have been joined.
struct Stats {
  RunResult result;

  void record_failure(const std::string& failure) {
    ++result.errors;
    ++result.failures[failure];
  }
  // Returns true for a 2xx reply.
  bool record_reply(unsigned status, const std::string& body, Clock::duration latency) {
    if (status >= 200 && status < 300) {
      ++result.ok;
      if (result.latencies_us.size() < kMaxSamples) result.latencies_us.push_back(micros(latency));
      return true;
    }
    ++result.errors;
    ++result.statuses[status];
    if (result.first_error_body.empty()) result.first_error_body = body.substr(0, kMaxErrorBodyChars);
    return false;
  }
};

inline void merge_into(RunResult& total, const RunResult& part) {
  total.ok += part.ok;
  total.errors += part.errors;
  total.connections_opened += part.connections_opened;
  total.late_sends += part.late_sends;
  for (const auto& [status, count] : part.statuses)
    total.statuses[status] += count;
  for (const auto& [failure, count] : part.failures)
    total.failures[failure] += count;
  if (total.first_error_body.empty()) total.first_error_body = part.first_error_body;
  total.latencies_us.insert(total.latencies_us.end(), part.latencies_us.begin(), part.latencies_us.end());
  total.service_latencies_us.insert(total.service_latencies_us.end(), part.service_latencies_us.begin(),
                                    part.service_latencies_us.end());
}

struct Worker : Stats {
  boost::asio::io_context io{1};
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
