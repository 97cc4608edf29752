// Measures how long the machine itself keeps a CPU from a thread that is due to run: one thread per
// allowed CPU, pinned, sleeps 1 ms at a time and records each wake-up that comes later than a threshold.
// With SCHED_FIFO (root, or CAP_SYS_NICE) nothing in the guest's fair class can delay it, so what remains
// is the hypervisor taking the vCPU away or the kernel running with interrupts off: a latency floor that no
// server under test can go below. Without the privilege the threads stay in the fair class and also count
// ordinary run-queue waits (reported as meter=fair). A diagnostic, only run when asked for (`--stall-meter`):
// its wake-ups preempt the server under test and cost it latency.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

#include "bench/loadgen/engine.hpp"

namespace balctl::bench {

// Adds one wake-up's lateness to `report` when it is over `threshold` (pure: unit-tested).
void tally_lateness(StallReport& report, std::chrono::nanoseconds lateness,
                    std::chrono::nanoseconds threshold);

class StallMeter {
 public:
  explicit StallMeter(std::chrono::microseconds tick = std::chrono::milliseconds(1),
                      std::chrono::microseconds threshold = std::chrono::milliseconds(2));
  ~StallMeter();
  StallMeter(const StallMeter&) = delete;
  StallMeter& operator=(const StallMeter&) = delete;

  void start();        // one pinned thread per CPU this process may run on
  StallReport stop();  // joins the threads and merges what they saw

 private:
  void measure(int cpu, StallReport& mine);

  const std::chrono::microseconds tick_;
  const std::chrono::microseconds threshold_;
  std::atomic<bool> running_{false};
  std::atomic<bool> realtime_{true};  // cleared by any thread that could not get SCHED_FIFO
  std::vector<std::thread> threads_;
  std::vector<StallReport> per_cpu_;
  std::chrono::steady_clock::time_point started_{};
};

}  // namespace balctl::bench
