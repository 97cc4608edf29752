#include "bench/loadgen/stall_meter.hpp"

#include "common/cpu_affinity.hpp"

#include <algorithm>
#include <pthread.h>
#include <sched.h>
#include <time.h>

namespace balctl::bench {
namespace {

using Clock = std::chrono::steady_clock;

// The lowest real-time priority: above every fair-class thread, below the kernel's own real-time threads.
bool become_realtime() {
  sched_param param{};
  param.sched_priority = 1;
  return ::pthread_setschedparam(::pthread_self(), SCHED_FIFO, &param) == 0;
}

timespec to_timespec(Clock::time_point when) {
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch()).count();
  return timespec{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
}

}  // namespace

void tally_lateness(StallReport& report, std::chrono::nanoseconds lateness,
                    std::chrono::nanoseconds threshold) {
  if (lateness <= threshold) return;
  const double ms = std::chrono::duration<double, std::milli>(lateness).count();
  ++report.events;
  report.max_ms = std::max(report.max_ms, ms);
  report.stalled_cpu_ms += ms;
}

StallMeter::StallMeter(std::chrono::microseconds tick, std::chrono::microseconds threshold)
    : tick_(tick), threshold_(threshold) {}

StallMeter::~StallMeter() {
  if (running_) stop();
}

void StallMeter::start() {
  auto allowed = cpu::allowed_cpus();
  const auto cpus = allowed ? *allowed : std::vector<int>{};  // none readable: a meter with no threads
  per_cpu_.assign(cpus.size(), StallReport{});
  running_ = true;
  realtime_ = true;
  started_ = Clock::now();
  for (std::size_t i = 0; i < cpus.size(); ++i) {
    threads_.emplace_back([this, cpu = cpus[i], &mine = per_cpu_[i]] { measure(cpu, mine); });
  }
}

StallReport StallMeter::stop() {
  running_ = false;
  for (auto& thread : threads_)
    thread.join();
  threads_.clear();
  StallReport total;
  total.meter = per_cpu_.empty() ? "off" : (realtime_ ? "fifo" : "fair");
  total.cpus = static_cast<unsigned>(per_cpu_.size());
  total.window_s = std::chrono::duration<double>(Clock::now() - started_).count();
  for (const auto& one : per_cpu_) {
    total.events += one.events;
    total.max_ms = std::max(total.max_ms, one.max_ms);
    total.stalled_cpu_ms += one.stalled_cpu_ms;
  }
  return total;
}

// Absolute deadlines, each one tick after the previous wake-up: a stall is counted once, not followed
// by a burst of catch-up wake-ups.
void StallMeter::measure(int cpu, StallReport& mine) {
  if (!cpu::pin_current_thread(cpu) || !become_realtime()) realtime_ = false;
  auto due = Clock::now() + tick_;
  while (running_) {
    const auto when = to_timespec(due);
    ::clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &when, nullptr);
    const auto woke = Clock::now();
    tally_lateness(mine, woke - due, threshold_);
    due = woke + tick_;
  }
}

}  // namespace balctl::bench
