// Runs the collectors off the heartbeat path and keeps the latest report ready: a full collection once
// per interval, and a cheap HAProxy state probe every 200 ms (and at once when the watched HAProxy
// process exits, via its pidfd) that calls `on_change` when the state flips. That is what makes
// sub-second failover possible. A slow collector therefore never delays
// a heartbeat: current() only copies the last snapshot.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "agent/heartbeat_loop.hpp"
#include "common/protocol.hpp"

namespace balctl::agent {

struct SamplerSettings {
  std::string haproxy_socket = "/run/haproxy/admin.sock";
  std::string haproxy_unit = "haproxy.service";
  std::string haproxy_pidfile;
  std::chrono::milliseconds collect_interval{1000};
  std::chrono::milliseconds probe_interval{200};
  std::chrono::milliseconds stats_interval{5000};        // HAProxy rows over the stats socket
  std::chrono::milliseconds slow_facts_interval{10'000};  // disks, addresses, kernel, OS
  bool use_systemd = true;  // ask systemd when it is PID 1; false: pidfile / process check only
};

class Sampler final : public ReportSource {
 public:
  explicit Sampler(SamplerSettings settings);
  ~Sampler() override;

  // Starts the collection and probe threads.
  void start(std::function<void()> on_haproxy_change);
  void stop();
  // One full collection on the caller's thread (for --once and the first heartbeat).
  void collect_now();
  protocol::Heartbeat current() override;

 private:
  struct Collectors;
  void collect_loop();
  void probe_loop();
  void collect_host_and_stats();
  // Records a probed state; true when it differs from the last one.
  bool apply_probe(protocol::HaproxyState state, const std::string& detail, const std::string& found_by);

  SamplerSettings settings_;
  std::unique_ptr<Collectors> collectors_;
  std::function<void()> on_change_;

  std::mutex snapshot_mutex_;
  protocol::Heartbeat snapshot_;
  std::optional<std::chrono::steady_clock::time_point> stats_read_at_;  // collect thread only

  std::mutex wait_mutex_;
  std::condition_variable wake_;  // wakes the collect thread
  int stop_fd_ = -1;              // eventfd that wakes the probe thread's poll()
  bool stopping_ = false;
  std::thread collect_thread_;
  std::thread probe_thread_;
};

}  // namespace balctl::agent
