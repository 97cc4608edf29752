// The DNS binding an admin sends with `balctl dns set` (PUT /api/v1/pools/{pool}/dns). Beyond "no
// crash": a refusal names the field, and what is accepted survives being split for storage (settings and
// sealed secrets) and joined again after a restart, so a binding that was accepted can always be loaded.
#include <cstddef>
#include <cstdint>

#include <boost/json/serialize.hpp>

#include "common/json.hpp"
#include "fuzz_check.hpp"
#include "server/dns/provider_config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl;
  const auto object = json::parse_object(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!object) return 0;
  const auto config = dns::parse_provider_config(*object);
  if (!config) {
    FUZZ_CHECK(!config.error().message.empty());
    FUZZ_CHECK(config.error().kind != Errc::invalid_argument || !config.error().field.empty());
    return 0;
  }
  const auto settings = dns::public_settings(*config);
  const auto secrets = dns::secret_settings(*config);
  const auto joined = dns::join_settings(dns::provider_kind(*config), settings, secrets);
  FUZZ_CHECK(joined.ok());
  FUZZ_CHECK(boost::json::serialize(dns::public_settings(*joined)) == boost::json::serialize(settings));
  FUZZ_CHECK(boost::json::serialize(dns::secret_settings(*joined)) == boost::json::serialize(secrets));
  // What the API shows masks every secret (a substring search would be fooled by a key name that holds
  // the secret's text, which is not a leak).
  const auto masked = dns::masked_json(*config);
  for (const auto& [key, value] : secrets) {
    const auto* shown = masked.if_contains(key);
    FUZZ_CHECK(shown != nullptr && shown->is_string() && shown->get_string() == "***");
  }
  return 0;
}
