#include "agent/heartbeat_loop.hpp"

#include <spdlog/spdlog.h>

#include "agent/client/reachability.hpp"
#include "common/version.hpp"

namespace balctl::agent {
namespace {

using Clock = std::chrono::steady_clock;
constexpr std::int64_t kMinIntervalMs = 100;
constexpr std::int64_t kMaxIntervalMs = 60'000;
// Measured on the fault rig (20 % loss, 150 +- 150 ms): abandoning a kept-alive request after one
// interval (1 s) made things worse (longest silence 8.2 s against 3.1 s with a 5 s timeout), because one
// retransmission there takes about 1 s and a new TCP+TLS connection costs three round trips with a loss
// chance each (with 3 s for it, some did not finish). So a request on the kept-alive connection gets two
// intervals (at least 2 s), which still cuts a stall short well inside the delay, and one that must open
// a new connection gets the whole request timeout: starting yet another handshake would not be quicker.
constexpr std::chrono::milliseconds kMinRequestDeadline{2000};
// Attempts that timed out already took a whole deadline each, i.e. no more than the heartbeat rate: the
// first few follow at once (a short blackhole or a lossy spell is over by then), only then the backoff.
constexpr int kImmediateRetriesAfterTimeout = 3;

ClientSettings client_settings(const AgentConfig& config, const LoopTiming& timing, const std::atomic<bool>* abort) {
  return ClientSettings{config.api_base, config.ca_cert, {}, false, config.bind_address, timing.request_timeout, abort};
}

// Logs the first failure, every failure whose kind differs from the last, and then every 10th, so a
// long outage leaves a readable trail instead of one line per second.
bool worth_logging(int failures, bool new_kind) { return failures == 1 || new_kind || failures % 10 == 0; }

}  // namespace

HeartbeatLoop::HeartbeatLoop(AgentConfig config, ReportSource& source, LoopTiming timing)
    : source_(source),
      timing_(timing),
      config_(std::move(config)),
      client_(std::make_unique<ControlPlaneClient>(client_settings(config_, timing_, &abort_))),
      backoff_(timing.default_interval, timing.max_backoff),
      interval_(timing.default_interval),
      random_(std::random_device{}()),
      prober_(std::make_unique<Prober>(config_.bind_address, [this] { nudge(); })) {}

// The prober's callback uses the mutex below it in the class: stop the prober first.
HeartbeatLoop::~HeartbeatLoop() { prober_.reset(); }

void HeartbeatLoop::stop() {
  abort_ = true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
}

void HeartbeatLoop::nudge() {
  {
    std::lock_guard lock(mutex_);
    nudged_ = true;
  }
  wake_.notify_all();
}

void HeartbeatLoop::reload(AgentConfig config) {
  {
    std::lock_guard lock(mutex_);
    pending_config_ = std::move(config);
  }
  wake_.notify_all();
}

void HeartbeatLoop::apply_pending_config() {
  std::optional<AgentConfig> config;
  {
    std::lock_guard lock(mutex_);
    config.swap(pending_config_);
  }
  if (!config) return;
  config_ = std::move(*config);
  client_ = std::make_unique<ControlPlaneClient>(client_settings(config_, timing_, &abort_));
  needs_handshake_ = true;
  spdlog::info("config_reloaded api_base={} member_id={}", config_.api_base, config_.member_id);
}

HeartbeatLoop::Wake HeartbeatLoop::wait_until(Clock::time_point deadline) {
  std::unique_lock lock(mutex_);
  wake_.wait_until(lock, deadline, [this] { return stopping_ || nudged_ || pending_config_.has_value(); });
  if (stopping_) return Wake::stop;
  if (nudged_ || pending_config_) {
    nudged_ = false;
    return Wake::now;
  }
  return Wake::timeout;
}

std::chrono::milliseconds HeartbeatLoop::request_deadline() const {
  if (needs_handshake_) return timing_.request_timeout;
  return std::min(std::max(2 * interval_, kMinRequestDeadline), timing_.request_timeout);
}

Status HeartbeatLoop::send() {
  apply_pending_config();
  client_->set_timeout(request_deadline());
  protocol::Heartbeat heartbeat = source_.current();
  heartbeat.agent_version = kVersion;
  heartbeat.seq = ++seq_;
  heartbeat.probe_results = prober_->take_results();
  auto reply = client_->heartbeat(heartbeat, config_.member_secret);
  needs_handshake_ = !reply;
  if (!reply) {
    prober_->restore(std::move(heartbeat.probe_results));
    return reply.error();
  }
  for (const auto& reason : reply->ignored_probes) spdlog::warn("probe_ignored reason=\"{}\"", reason);
  if (!reply->probes.empty()) prober_->submit(reply->probes);
  interval_ = std::chrono::milliseconds(std::clamp(reply->interval_ms, kMinIntervalMs, kMaxIntervalMs));
  backoff_.set_base(interval_);
  if (backoff_.failures() > 0) {
    spdlog::info("heartbeat_recovered after_failures={} interval_ms={}", backoff_.failures(), interval_.count());
  }
  backoff_.reset();
  last_error_code_.clear();
  spdlog::debug("heartbeat_sent seq={} haproxy={}", heartbeat.seq, protocol::to_string(heartbeat.haproxy.state));
  return {};
}

Status HeartbeatLoop::exchange() {
  auto status = send();
  if (status || status.error().code != "timeout") return status;
  // The request (or its connection) stalled: a lost packet on an established connection waits for a
  // retransmission, so a new connection with a new handshake is the quicker way through.
  if (backoff_.failures() == 0) {
    spdlog::warn("heartbeat_stalled retrying_now=true fresh_connection=true retry_deadline_ms={}",
                 request_deadline().count());
  }
  client_->use_fresh_connection();
  needs_handshake_ = true;
  return send();
}

Status HeartbeatLoop::send_once() { return exchange(); }

void HeartbeatLoop::after_failure(const Error& error, Clock::time_point now, Clock::time_point& next, bool& probe) {
  const bool new_kind = error.code != last_error_code_;
  last_error_code_ = error.code;
  auto delay = backoff_.next(std::uniform_real_distribution<double>(0.0, 1.0)(random_));
  if (error.code == "timeout" && backoff_.failures() <= kImmediateRetriesAfterTimeout) delay = {};
  next = now + delay;
  // Only a server that did not accept the connection can be detected coming back by a TCP probe; one that
  // answers with an error would pass the probe while still failing.
  probe = error.code == "unreachable";
  spdlog::debug("heartbeat_retry code={} failures={} retry_in_ms={}", error.code, backoff_.failures(), delay.count());
  if (!worth_logging(backoff_.failures(), new_kind)) return;
  if (error.kind == Errc::unauthorized) {
    spdlog::error("heartbeat_refused reason=\"the control plane does not accept this member's secret\" "
                  "hint=\"re-enrol: balctl member rekey POOL HOST, then balctl-agent --enrol --force\" "
                  "failures={} retry_in_ms={}",
                  backoff_.failures(), delay.count());
  } else {
    spdlog::warn("heartbeat_failed code={} error=\"{}\" failures={} retry_in_ms={}", error.code, error.message,
                 backoff_.failures(), delay.count());
  }
}

void HeartbeatLoop::run() {
  while (true) {
    const auto started = Clock::now();
    Clock::time_point next = started + interval_;
    bool probe = false;
    if (auto status = exchange(); !status) {
      if (status.error().code == "aborted") return;
      after_failure(status.error(), Clock::now(), next, probe);
    }
    while (true) {
      const auto now = Clock::now();
      if (now >= next) break;
      const auto wake_at = probe ? std::min(next, now + interval_) : next;
      const Wake wake = wait_until(wake_at);
      if (wake == Wake::stop) return;
      if (wake == Wake::now) break;
      if (probe && Clock::now() < next && tcp_reachable(config_.api_base, config_.bind_address, timing_.probe_timeout)) {
        spdlog::info("control_plane_port_open_again retrying_now=true");
        break;
      }
    }
  }
}

}  // namespace balctl::agent
