#include "server/alerts/alert_service.hpp"

#include <boost/json/serialize.hpp>
#include <spdlog/spdlog.h>

#include "common/json.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "server/alerts/senders.hpp"

namespace balctl::alerts {

AlertService::AlertService(store::Store& store, const auth::SecretBox& secrets, events::EventLog& events)
    : store_(store), secrets_(secrets), events_(events) {}

Result<AlertChannel> AlertService::create(const boost::json::object& body, std::string_view actor) {
  auto channel = parse_alert_channel(body);
  if (!channel) return channel;
  store::AlertChannelRecord record{channel->name, channel_kind(*channel),
                                   boost::json::serialize(channel_settings(*channel)),
                                   secrets_.seal(boost::json::serialize(channel_secrets(*channel))),
                                   time::unix_ms_now()};
  if (auto status = store_.insert_alert_channel(record); !status) return status.error();
  {
    std::lock_guard lock(mutex_);
    cache_.reset();
  }
  (void)events_.record({0, 0, "alert_channel_added", "", "", std::string(actor),
                        record.kind + " alert channel '" + record.name + "' added"});
  return channel;
}

Result<std::vector<AlertChannel>> AlertService::load() {
  auto records = store_.list_alert_channels();
  if (!records) return records.error();
  std::vector<AlertChannel> channels;
  for (const auto& record : *records) {
    auto secrets_text = secrets_.unseal(record.secrets_box);
    auto settings = json::parse_object(record.settings_json);
    auto secrets = secrets_text ? json::parse_object(*secrets_text) : Result<boost::json::object>(secrets_text.error());
    if (!settings || !secrets) return Error::internal("stored alert channel '" + record.name + "' is damaged");
    auto channel = join_channel(record.name, record.kind, *settings, *secrets);
    if (!channel) return Error::internal("stored alert channel '" + record.name + "' no longer validates");
    channels.push_back(std::move(*channel));
  }
  return channels;
}

Result<std::vector<AlertChannel>> AlertService::list() { return load(); }

std::vector<AlertChannel> AlertService::channels() {
  std::lock_guard lock(mutex_);
  if (!cache_) {
    auto loaded = load();
    if (!loaded) {
      spdlog::error("alert_channels_unreadable error={}", log::value(loaded.error().message));
      return {};
    }
    cache_ = std::move(*loaded);
  }
  return *cache_;
}

Status AlertService::remove(std::string_view name, std::string_view actor) {
  if (auto status = store_.delete_alert_channel(name); !status) return status;
  {
    std::lock_guard lock(mutex_);
    cache_.reset();
  }
  (void)events_.record(
      {0, 0, "alert_channel_removed", "", "", std::string(actor), "alert channel '" + std::string(name) + "' removed"});
  return {};
}

Status AlertService::test(std::string_view name, std::string_view actor) {
  for (const auto& channel : channels()) {
    if (channel.name != name) continue;
    Alert alert{"test", "", "", "test alert requested by " + std::string(actor), time::unix_ms_now(), 0};
    return send(channel, alert);
  }
  return Error::not_found("alert_channel_not_found", "no alert channel named '" + std::string(name) + "'");
}

}  // namespace balctl::alerts
