// The agent's heartbeat schedule: one heartbeat per interval (the server decides the interval), an
// immediate one when HAProxy changes state, jittered exponential backoff while the control plane fails,
// and a cheap TCP probe each interval during that backoff so that its return is noticed at once.
// A heartbeat request on the kept-alive connection gets two intervals (at least 2 s); one that stalls is
// abandoned and sent again at once on a fresh connection, so a stall costs that, not the failover delay.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <random>

#include "agent/agent_env.hpp"
#include "agent/backoff.hpp"
#include "agent/client/control_plane_client.hpp"
#include "agent/prober.hpp"
#include "common/protocol.hpp"
#include "common/result.hpp"

namespace balctl::agent {

// Where heartbeat bodies come from; current() must return quickly (collectors run elsewhere).
class ReportSource {
 public:
  virtual ~ReportSource() = default;
  virtual protocol::Heartbeat current() = 0;
};

struct LoopTiming {
  std::chrono::milliseconds default_interval{protocol::kDefaultIntervalMs};
  std::chrono::milliseconds max_backoff{30'000};
  std::chrono::milliseconds request_timeout{5'000};  // upper bound; the deadline is max(interval, 1 s)
  std::chrono::milliseconds probe_timeout{1'000};
};

class HeartbeatLoop {
 public:
  HeartbeatLoop(AgentConfig config, ReportSource& source, LoopTiming timing);
  ~HeartbeatLoop();

  void run();  // returns after stop()
  void stop();
  void nudge();                       // HAProxy changed state: send now
  void reload(AgentConfig config);    // SIGHUP with a valid agent.env
  Status send_once();                 // --once
  std::chrono::milliseconds interval() const { return interval_; }

 private:
  enum class Wake { stop, now, timeout };
  Status send();
  Status exchange();  // send(), and once more on a fresh connection after a stall
  std::chrono::milliseconds request_deadline() const;
  void after_failure(const Error& error, std::chrono::steady_clock::time_point now,
                     std::chrono::steady_clock::time_point& next, bool& probe);
  Wake wait_until(std::chrono::steady_clock::time_point deadline);
  void apply_pending_config();

  ReportSource& source_;
  const LoopTiming timing_;
  AgentConfig config_;
  std::unique_ptr<ControlPlaneClient> client_;
  Backoff backoff_;
  std::chrono::milliseconds interval_;
  std::int64_t seq_ = 0;
  std::string last_error_code_;
  std::mt19937_64 random_;
  std::unique_ptr<Prober> prober_;
  // No kept-alive connection to reuse (start, or the last request failed): the next request pays a TCP and
  // TLS handshake, three round trips on a slow path, so it gets the whole request timeout.
  bool needs_handshake_ = true;

  std::atomic<bool> abort_{false};  // aborts a request in flight on stop()
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  bool nudged_ = false;
  std::optional<AgentConfig> pending_config_;
};

}  // namespace balctl::agent
