// An alert channel an admin creates (POST /api/v1/alerts/channels): webhook or email. Beyond "no crash":
// a refusal names the field, and what is accepted survives being split for storage and joined again.
#include <cstddef>
#include <cstdint>

#include <boost/json/serialize.hpp>

#include "common/json.hpp"
#include "fuzz_check.hpp"
#include "server/alerts/alert_channel.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl;
  const auto object = json::parse_object(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!object) return 0;
  const auto channel = alerts::parse_alert_channel(*object);
  if (!channel) {
    FUZZ_CHECK(!channel.error().message.empty());
    FUZZ_CHECK(channel.error().kind != Errc::invalid_argument || !channel.error().field.empty());
    return 0;
  }
  const auto settings = alerts::channel_settings(*channel);
  const auto secrets = alerts::channel_secrets(*channel);
  const auto joined = alerts::join_channel(channel->name, alerts::channel_kind(*channel), settings, secrets);
  FUZZ_CHECK(joined.ok());
  FUZZ_CHECK(boost::json::serialize(alerts::channel_settings(*joined)) == boost::json::serialize(settings));
  FUZZ_CHECK(boost::json::serialize(alerts::channel_secrets(*joined)) == boost::json::serialize(secrets));
  (void)alerts::masked_channel_json(*channel);
  return 0;
}
