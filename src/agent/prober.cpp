#include "agent/prober.hpp"

#include <spdlog/spdlog.h>

#include "common/tcp_probe.hpp"

namespace balctl::agent {

Prober::Prober(std::string bind_address, std::function<void()> done)
    : bind_address_(std::move(bind_address)), done_(std::move(done)), workers_(1, protocol::kMaxProbes) {}

Prober::~Prober() { workers_.stop(); }

bool Prober::run(const protocol::ProbeTask& task, const std::string& bind_address) {
  if (task.ports.empty()) return false;
  const auto timeout = std::chrono::milliseconds(task.timeout_ms);
  const auto spacing = std::chrono::milliseconds(task.spacing_ms);
  for (const int port : task.ports) {
    if (!tcp_connects_any(task.target, port, task.attempts, spacing, timeout, bind_address)) return false;
  }
  return true;
}

void Prober::submit(const std::vector<protocol::ProbeTask>& tasks) {
  for (const auto& task : tasks) {
    const bool queued = workers_.submit([this, task] {
      const bool reachable = run(task, bind_address_);
      spdlog::info("probe_done id={} target={} reachable={}", task.id, task.target, reachable);
      {
        std::lock_guard lock(mutex_);
        results_.push_back({task.id, reachable});
      }
      if (done_) done_();
    });
    if (!queued) spdlog::warn("probe_dropped id={} reason=queue_full", task.id);
  }
}

std::vector<protocol::ProbeResult> Prober::take_results() {
  std::lock_guard lock(mutex_);
  return std::exchange(results_, {});
}

void Prober::restore(std::vector<protocol::ProbeResult> results) {
  std::lock_guard lock(mutex_);
  results.insert(results.end(), results_.begin(), results_.end());
  results.resize(std::min(results.size(), protocol::kMaxProbes));
  results_ = std::move(results);
}

}  // namespace balctl::agent
