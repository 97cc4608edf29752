// Alert channels: create, list (secrets masked), remove, test. Stored with sealed secrets; the
// dispatcher reads the decrypted list through channels(), cached until the next change.
#pragma once

#include <boost/json/object.hpp>

#include <mutex>
#include <optional>
#include <string_view>
#include <vector>

#include "common/result.hpp"
#include "server/alerts/alert_channel.hpp"
#include "server/auth/secret_box.hpp"
#include "server/events/event_log.hpp"
#include "server/store/store.hpp"

namespace balctl::alerts {

class AlertService {
 public:
  AlertService(store::Store& store, const auth::SecretBox& secrets, events::EventLog& events);

  Result<AlertChannel> create(const boost::json::object& body, std::string_view actor);
  Result<std::vector<AlertChannel>> list();
  Status remove(std::string_view name, std::string_view actor);
  // Sends a test alert through one channel now and reports how it went.
  Status test(std::string_view name, std::string_view actor);

  std::vector<AlertChannel> channels();

 private:
  Result<std::vector<AlertChannel>> load();

  store::Store& store_;
  const auth::SecretBox& secrets_;
  events::EventLog& events_;
  std::mutex mutex_;
  std::optional<std::vector<AlertChannel>> cache_;
};

}  // namespace balctl::alerts
