#include "server/events/event_log.hpp"

#include <spdlog/spdlog.h>

#include "common/log.hpp"
#include "common/time.hpp"

namespace balctl::events {
namespace {

constexpr std::size_t kMaxQueued = 100'000;  // bounds memory if the store is down for long

}  // namespace

void EventLog::announce(store::EventRecord& event) {
  if (event.at_ms == 0) event.at_ms = time::unix_ms_now();
  // Messages quote agent text (versions, HAProxy's words, error strings): stored and shown with their
  // control bytes escaped, so `balctl events` and the dashboard show one line per event, as written.
  if (log::has_control(event.message)) event.message = log::escape_control(event.message);
  spdlog::info("event kind={} pool={} member={} actor={} message={}", log::value(event.kind),
               log::value(event.pool), log::value(event.member), log::value(event.actor),
               log::value(event.message));
  if (listener_) listener_(event);
}

Status EventLog::record(store::EventRecord event) {
  announce(event);
  auto id = store_.append_event(event);
  if (!id) return id.error();
  return {};
}

Status EventLog::record_with_states(std::vector<store::EventRecord> events,
                                    const std::vector<store::MemberStateRecord>& states) {
  for (auto& event : events) announce(event);
  auto status = store_.save_batch(states, events);
  if (!status) {
    spdlog::warn("event_write_failed count={} error={} retry=next_batch", events.size(),
                 log::value(status.error().message));
    for (auto& event : events) push_queued(std::move(event));
  }
  return status;
}

void EventLog::queue(store::EventRecord event) {
  announce(event);
  push_queued(std::move(event));
}

void EventLog::push_queued(store::EventRecord event) {
  std::lock_guard lock(mutex_);
  if (queued_.size() >= kMaxQueued) {
    spdlog::warn("event_queue_full dropped_kind={}", log::value(event.kind));
    return;
  }
  queued_.push_back(std::move(event));
}

std::vector<store::EventRecord> EventLog::take_queued() {
  std::lock_guard lock(mutex_);
  return std::exchange(queued_, {});
}

void EventLog::requeue(std::vector<store::EventRecord> events) {
  std::lock_guard lock(mutex_);
  events.insert(events.end(), std::make_move_iterator(queued_.begin()), std::make_move_iterator(queued_.end()));
  if (events.size() > kMaxQueued) events.erase(events.begin(), events.end() - kMaxQueued);
  queued_ = std::move(events);
}

Result<std::vector<store::EventRecord>> EventLog::list(const store::EventQuery& query) {
  return store_.list_events(query);
}

}  // namespace balctl::events
