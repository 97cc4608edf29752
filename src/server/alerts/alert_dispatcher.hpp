// Turns events into alerts: failover, failover_failed, failover_cancelled, pool_down, pool_recovered,
// member_offline, member_online, dns_verify_failed, dns_drift, dns_repair_failed and lost_contact_reachable
// go to every channel. The same alert (kind, pool, member)
// is sent at most once per de-duplication window and all alerts share a per-minute budget; what is held
// back is counted and reported with the next alert of its kind. Failed deliveries are retried with
// exponential backoff on the dispatcher's own thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/alerts/alert_channel.hpp"
#include "server/alerts/senders.hpp"
#include "server/store/records.hpp"

namespace balctl::alerts {

struct AlertPolicy {
  std::chrono::milliseconds dedupe_window{60'000};
  int max_per_minute = 30;
  int max_attempts = 6;  // 1 s, 2 s, 4 s, 8 s, 16 s between them
  std::chrono::milliseconds first_retry{1000};
};

bool is_alert_kind(const std::string& event_kind);

class AlertDispatcher {
 public:
  using Channels = std::function<std::vector<AlertChannel>()>;
  using Sender = std::function<Status(const AlertChannel&, const Alert&)>;

  AlertDispatcher(Channels channels, AlertPolicy policy, Sender sender = send);
  ~AlertDispatcher();

  void start();
  void stop();
  // Called for every recorded event; cheap (filters and queues).
  void on_event(const store::EventRecord& event);

  struct Counters {
    std::int64_t sent = 0;
    std::int64_t failed = 0;      // gave up after max_attempts
    std::int64_t suppressed = 0;  // de-duplicated or over budget
  };
  Counters counters() const;

 private:
  struct Delivery {
    std::string channel;
    Alert alert;
    int attempt = 0;
  };
  bool admit(Alert& alert, std::int64_t now_ms);  // under mutex_
  void run();
  void deliver(Delivery delivery);

  Channels channels_;
  const AlertPolicy policy_;
  Sender sender_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::multimap<std::int64_t, Delivery> due_;  // steady ms -> delivery
  std::map<std::string, std::int64_t> last_sent_;
  std::map<std::string, int> held_back_;
  std::vector<std::int64_t> recent_;  // send times inside the last minute
  Counters counters_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace balctl::alerts
