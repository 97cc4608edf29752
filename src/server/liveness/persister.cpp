#include "server/liveness/persister.hpp"

#include <spdlog/spdlog.h>

#include "common/heap.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "server/fleet/specs.hpp"
#include "server/liveness/liveness_events.hpp"

namespace balctl::liveness {
namespace {

// Under glibc, malloc_trim holds each malloc arena's lock while it walks the free chunks, and the I/O
// threads allocate from those arenas: measured 18-250 ms stalls of every heartbeat. So only a mass of
// first reports (thousands of members enrolling or reporting at once: tens of megabytes) is worth one; the
// steady trickle (a few hundred reports a second) is left to the periodic release in server_app.cpp.
constexpr std::size_t kTrimAfterReportBytes = 8 << 20;

}  // namespace

Persister::Persister(store::Store& store, LivenessTable& liveness, fleet::Registry& registry, events::EventLog& events,
                     std::chrono::milliseconds interval, std::int64_t started_steady_ms)
    : store_(store),
      liveness_(liveness),
      registry_(registry),
      events_(events),
      interval_(interval),
      started_steady_ms_(started_steady_ms) {}

Persister::~Persister() { stop(); }

void Persister::start() { thread_ = std::thread([this] { loop(); }); }

void Persister::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (auto status = run_once(time::steady_ms_now()); !status) {
    spdlog::error("liveness_flush_failed at=shutdown error={}", log::value(status.error().message));
  }
}

void Persister::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    wake_.wait_for(lock, interval_, [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    if (auto status = run_once(time::steady_ms_now()); !status) {
      spdlog::error("liveness_flush_failed error={}", log::value(status.error().message));
    }
    lock.lock();
  }
}

Status Persister::run_once(std::int64_t now_steady_ms) {
  // After a restart every member gets one full delay to report again before it can be called offline.
  const auto since_start = now_steady_ms - started_steady_ms_;
  const auto went = liveness_.sweep(now_steady_ms, [&](std::int64_t member_id) -> std::optional<std::int64_t> {
    const auto context = registry_.find(member_id);
    if (!context) return std::nullopt;
    const std::int64_t delay_ms = context->pool.delay_s * 1000;
    if (since_start < delay_ms) return std::nullopt;
    return delay_ms;
  }, fleet::limits::kMinDelayS * 1000);
  for (const auto& offline : went) {
    if (const auto context = registry_.find(offline.member_id))
      events_.queue(went_offline_event(offline, *context));
  }
  // Each member_online goes into the same transaction as the state that says the member is online.
  std::vector<CameOnline> came_online;
  auto states = liveness_.take_dirty(&came_online);
  for (const auto& came : came_online) {
    if (const auto context = registry_.find(came.member_id)) events_.queue(came_online_event(came, *context));
  }
  auto queued = events_.take_queued();
  if (states.empty() && queued.empty()) return {};
  auto status = store_.save_batch(states, queued);
  if (!status) {
    liveness_.mark_dirty(states);
    events_.requeue(std::move(queued));
    return status;
  }
  std::size_t report_bytes = 0;
  for (const auto& state : states) report_bytes += state.report_json ? state.report_json->size() : 0;
  states.clear();
  states.shrink_to_fit();
  // A burst of full reports (after a restart every member's first one is due) is megabytes of 2 KB
  // buffers that glibc would otherwise keep; hand them back now that they are on disk.
  if (report_bytes >= kTrimAfterReportBytes) heap::release_free_memory();
  return status;
}

}  // namespace balctl::liveness
