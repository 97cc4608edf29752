#include "agent/sampler.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <array>

#include "agent/collectors/haproxy_collector.hpp"
#include "agent/collectors/haproxy_state.hpp"
#include "agent/collectors/host_collector.hpp"

namespace balctl::agent {
namespace {

// Each stats socket query gets this long; two of them stay well inside a 1 s interval.
constexpr std::chrono::milliseconds kSocketTimeout{400};
// While a pidfd reports HAProxy's exit the instant it happens, polling is only a safety net.
constexpr std::chrono::milliseconds kProbeIntervalWithExitWatch{1000};
constexpr const char* kDefaultSocket = "/run/haproxy/admin.sock";

collectors::StateProbeSettings probe_settings(const SamplerSettings& s) {
  collectors::StateProbeSettings out{s.haproxy_unit, s.haproxy_pidfile, "/proc", s.use_systemd};
  out.stats_socket = s.haproxy_socket;
  // A pidfile or a socket path of the operator's own names our HAProxy; only with neither configured may
  // a process merely called "haproxy" be taken for it.
  out.scan_by_name = s.haproxy_pidfile.empty() && s.haproxy_socket == kDefaultSocket;
  return out;
}

}  // namespace

struct Sampler::Collectors {
  explicit Collectors(const SamplerSettings& s)
      : host("/proc", "/etc", s.slow_facts_interval),
        probe(probe_settings(s)) {}
  collectors::HostCollector host;       // collect thread (and collect_now before start)
  collectors::HaproxyStateProbe probe;  // probe thread (and collect_now before start)
};

Sampler::Sampler(SamplerSettings settings)
    : settings_(std::move(settings)),
      collectors_(std::make_unique<Collectors>(settings_)),
      stop_fd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

Sampler::~Sampler() {
  stop();
  if (stop_fd_ >= 0) ::close(stop_fd_);
}

void Sampler::start(std::function<void()> on_haproxy_change) {
  on_change_ = std::move(on_haproxy_change);
  collect_thread_ = std::thread([this] { collect_loop(); });
  probe_thread_ = std::thread([this] { probe_loop(); });
}

void Sampler::stop() {
  {
    std::lock_guard lock(wait_mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  const std::uint64_t one = 1;
  if (stop_fd_ >= 0) (void)::write(stop_fd_, &one, sizeof one);
  if (collect_thread_.joinable()) collect_thread_.join();
  if (probe_thread_.joinable()) probe_thread_.join();
}

protocol::Heartbeat Sampler::current() {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

void Sampler::collect_now() {
  const auto state = collectors_->probe.probe();
  apply_probe(state, collectors_->probe.detail(), collectors_->probe.found_by());
  collect_host_and_stats();
}

bool Sampler::apply_probe(protocol::HaproxyState state, const std::string& detail,
                          const std::string& found_by) {
  std::lock_guard lock(snapshot_mutex_);
  if (snapshot_.haproxy.found_by != found_by && state == protocol::HaproxyState::running) {
    spdlog::info("haproxy_found by=\"{}\" detail=\"{}\"", found_by, detail);
  }
  snapshot_.haproxy.found_by = found_by;
  if (snapshot_.haproxy.state == state) return false;
  spdlog::info("haproxy_state_changed from={} to={} detail=\"{}\"", protocol::to_string(snapshot_.haproxy.state),
               protocol::to_string(state), detail);
  snapshot_.haproxy.state = state;
  snapshot_.haproxy.detail = detail;
  if (state != protocol::HaproxyState::running) {
    snapshot_.haproxy.rows.clear();
    snapshot_.haproxy.uptime_s.reset();
    snapshot_.haproxy.stats_error.clear();
  }
  return true;
}

void Sampler::collect_host_and_stats() {
  protocol::HaproxyState probed_state;
  {
    std::lock_guard lock(snapshot_mutex_);
    probed_state = snapshot_.haproxy.state;
  }
  protocol::Heartbeat fresh;
  collectors_->host.collect(fresh);
  // Only ask the socket when HAProxy may be up (a stopped HAProxy has nothing to say, and asking would
  // only wait for the timeout), and only every stats interval: the rows are monitoring data, the state
  // that failover needs comes from the probe. Right after HAProxy (re)appears the rows are read at once.
  const bool may_answer =
      probed_state == protocol::HaproxyState::running || probed_state == protocol::HaproxyState::unknown;
  const auto now = std::chrono::steady_clock::now();
  const bool due = !stats_read_at_ || now - *stats_read_at_ >= settings_.stats_interval;
  std::optional<collectors::HaproxyStats> stats;
  if (may_answer && due) {
    stats = collectors::read_haproxy_stats(settings_.haproxy_socket, kSocketTimeout);
    stats_read_at_ = now;
  }
  if (!may_answer) stats_read_at_.reset();
  std::lock_guard lock(snapshot_mutex_);
  // The probe thread may have seen a change while we were reading; its state wins.
  fresh.haproxy.state = snapshot_.haproxy.state;
  fresh.haproxy.found_by = snapshot_.haproxy.found_by;
  const bool running = fresh.haproxy.state == protocol::HaproxyState::running;
  if (running) {
    // Running but mute: a degraded state of its own ("running, stats unavailable: ..."), logged when it
    // starts, changes or ends, not at every read.
    fresh.haproxy.stats_error =
        stats ? collectors::stats_error_for(fresh.haproxy.state, *stats) : snapshot_.haproxy.stats_error;
    if (fresh.haproxy.stats_error != snapshot_.haproxy.stats_error) {
      if (fresh.haproxy.stats_error.empty()) {
        spdlog::info("haproxy_stats_available socket={}", settings_.haproxy_socket);
      } else {
        spdlog::warn("haproxy_stats_unavailable socket={} reason=\"{}\"", settings_.haproxy_socket,
                     fresh.haproxy.stats_error);
      }
    }
  }
  if (stats) {
    fresh.haproxy.detail = stats->detail.empty() ? snapshot_.haproxy.detail : stats->detail;
    if (fresh.haproxy.state == protocol::HaproxyState::running) {
      fresh.haproxy.version = std::move(stats->version);
      fresh.haproxy.uptime_s = stats->uptime_s;
      fresh.haproxy.rows = std::move(stats->rows);
    }
  } else {
    fresh.haproxy.detail = snapshot_.haproxy.detail;
    if (fresh.haproxy.state == protocol::HaproxyState::running) {
      fresh.haproxy.version = snapshot_.haproxy.version;
      fresh.haproxy.uptime_s = snapshot_.haproxy.uptime_s;
      fresh.haproxy.rows = snapshot_.haproxy.rows;
    }
  }
  snapshot_ = std::move(fresh);
}

void Sampler::collect_loop() {
  std::unique_lock lock(wait_mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, settings_.collect_interval, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    collect_host_and_stats();
    lock.lock();
  }
}

void Sampler::probe_loop() {
  while (true) {
    // Sleep one probe interval, but wake at once when the watched HAProxy process exits or we stop.
    std::array<pollfd, 2> waits{{{stop_fd_, POLLIN, 0}, {collectors_->probe.exit_watch_fd(), POLLIN, 0}}};
    const nfds_t count = waits[1].fd >= 0 ? 2 : 1;
    const auto interval = waits[1].fd >= 0 ? std::max(settings_.probe_interval, kProbeIntervalWithExitWatch)
                                           : settings_.probe_interval;
    ::poll(waits.data(), count, static_cast<int>(interval.count()));
    {
      std::lock_guard lock(wait_mutex_);
      if (stopping_) return;
    }
    const auto state = collectors_->probe.probe();
    const bool changed = apply_probe(state, collectors_->probe.detail(), collectors_->probe.found_by());
    if (changed && on_change_) on_change_();
  }
}

}  // namespace balctl::agent
