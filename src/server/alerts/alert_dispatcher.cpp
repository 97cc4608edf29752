#include "server/alerts/alert_dispatcher.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>

#include "common/log.hpp"
#include "common/time.hpp"

namespace balctl::alerts {
namespace {

constexpr std::int64_t kMinuteMs = 60'000;
constexpr std::size_t kMaxQueued = 10'000;

std::string key_of(const Alert& alert) { return alert.kind + "|" + alert.pool + "|" + alert.member; }

}  // namespace

bool is_alert_kind(const std::string& event_kind) {
  static constexpr std::array<std::string_view, 11> kKinds = {
      "failover",       "failover_failed", "pool_down",         "pool_recovered",         "member_offline",
      "member_online",  "dns_verify_failed", "dns_drift",       "dns_repair_failed",      "lost_contact_reachable",
      "failover_cancelled"};
  return std::find(kKinds.begin(), kKinds.end(), event_kind) != kKinds.end();
}

AlertDispatcher::AlertDispatcher(Channels channels, AlertPolicy policy, Sender sender)
    : channels_(std::move(channels)), policy_(policy), sender_(std::move(sender)) {}

AlertDispatcher::~AlertDispatcher() { stop(); }

void AlertDispatcher::start() { thread_ = std::thread([this] { run(); }); }

void AlertDispatcher::stop() {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

AlertDispatcher::Counters AlertDispatcher::counters() const {
  std::lock_guard lock(mutex_);
  return counters_;
}

bool AlertDispatcher::admit(Alert& alert, std::int64_t now) {
  const auto key = key_of(alert);
  std::erase_if(recent_, [now](std::int64_t at) { return now - at >= kMinuteMs; });
  const auto last = last_sent_.find(key);
  const bool duplicate = last != last_sent_.end() && now - last->second < policy_.dedupe_window.count();
  const bool over_budget = static_cast<int>(recent_.size()) >= policy_.max_per_minute;
  if (duplicate || over_budget) {
    ++held_back_[key];
    ++counters_.suppressed;
    return false;
  }
  last_sent_[key] = now;
  recent_.push_back(now);
  alert.suppressed = std::exchange(held_back_[key], 0);
  return true;
}

void AlertDispatcher::on_event(const store::EventRecord& event) {
  if (!is_alert_kind(event.kind)) return;
  Alert alert{event.kind, event.pool, event.member, event.message, event.at_ms, 0};
  const auto now = time::steady_ms_now();
  const auto channels = channels_();
  if (channels.empty()) return;
  {
    std::lock_guard lock(mutex_);
    if (stopping_ || !admit(alert, now)) return;
    for (const auto& channel : channels) {
      if (due_.size() >= kMaxQueued) break;
      due_.emplace(now, Delivery{channel.name, alert, 0});
    }
  }
  wake_.notify_all();
}

void AlertDispatcher::deliver(Delivery delivery) {
  const auto channels = channels_();
  const auto channel = std::find_if(channels.begin(), channels.end(),
                                    [&](const AlertChannel& c) { return c.name == delivery.channel; });
  if (channel == channels.end()) return;  // removed meanwhile
  ++delivery.attempt;
  const auto status = sender_(*channel, delivery.alert);
  std::lock_guard lock(mutex_);
  if (status) {
    ++counters_.sent;
    spdlog::info("alert_sent channel={} kind={} pool={} attempt={}", delivery.channel, delivery.alert.kind,
                 delivery.alert.pool, delivery.attempt);
    return;
  }
  if (delivery.attempt >= policy_.max_attempts) {
    ++counters_.failed;
    spdlog::error("alert_failed channel={} kind={} attempts={} error={}", delivery.channel,
                  delivery.alert.kind, delivery.attempt, log::value(status.error().message));
    return;
  }
  const auto delay = policy_.first_retry.count() << std::min(delivery.attempt - 1, 10);
  spdlog::warn("alert_retry channel={} kind={} attempt={} retry_in_ms={} error={}", delivery.channel,
               delivery.alert.kind, delivery.attempt, delay, log::value(status.error().message));
  due_.emplace(time::steady_ms_now() + delay, std::move(delivery));
}

void AlertDispatcher::run() {
  std::unique_lock lock(mutex_);
  while (true) {
    if (stopping_) return;
    if (due_.empty()) {
      wake_.wait(lock);
      continue;
    }
    const auto next = due_.begin()->first;
    const auto now = time::steady_ms_now();
    if (next > now) {
      wake_.wait_for(lock, std::chrono::milliseconds(next - now));
      continue;
    }
    auto delivery = std::move(due_.begin()->second);
    due_.erase(due_.begin());
    lock.unlock();
    deliver(std::move(delivery));
    lock.lock();
  }
}

}  // namespace balctl::alerts
