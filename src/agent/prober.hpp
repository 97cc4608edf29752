// Runs the confirmation probes the control plane asks for (TCP connects to a silent active's frontend
// ports) on a worker thread, so the heartbeat loop never waits on them; finished results are collected
// by the next heartbeat, which the `done` callback asks for at once.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "common/protocol.hpp"
#include "common/work_queue.hpp"

namespace balctl::agent {

class Prober {
 public:
  Prober(std::string bind_address, std::function<void()> done);
  ~Prober();

  void submit(const std::vector<protocol::ProbeTask>& tasks);
  std::vector<protocol::ProbeResult> take_results();
  // Puts results back when the heartbeat carrying them failed.
  void restore(std::vector<protocol::ProbeResult> results);

  // One probe, synchronously: reachable when every port accepts one of the task's raced connects.
  static bool run(const protocol::ProbeTask& task, const std::string& bind_address);

 private:
  std::string bind_address_;
  std::function<void()> done_;
  std::mutex mutex_;
  std::vector<protocol::ProbeResult> results_;
  WorkQueue workers_;
};

}  // namespace balctl::agent
