// Provider bindings of a pool: what `balctl dns set` accepts, validated in one place. Secrets (TSIG
// secret, API keys and tokens) are kept apart so the store can encrypt them and the API can mask them.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <variant>

#include "common/result.hpp"
#include "server/dns/cpanel_replies.hpp"
#include "server/dns/dns_provider.hpp"

namespace balctl::dns {

struct Rfc2136Config {
  std::string server;  // IP address of the primary
  std::int64_t port = 53;
  std::string zone;
  std::string tsig_name;
  std::string tsig_algorithm = "hmac-sha256";
  std::string tsig_secret;  // secret, base64
};

struct PowerDnsConfig {
  std::string api_url;  // http(s)://host:8081
  std::string server_id = "localhost";
  std::string zone;
  std::string api_key;        // secret
  std::string verify_server;  // optional IP[:port] of the DNS service to verify against
};

struct CloudflareConfig {
  std::string api_url = "https://api.cloudflare.com/client/v4";
  std::string zone_id;
  bool proxied = false;
  std::string api_token;  // secret
};

struct CpanelConfig {
  std::string api_url;  // https://host:2083 (UAPI) or https://host:2087 (WHM API 1)
  CpanelApi api = CpanelApi::uapi;  // "mode": "uapi" with a cPanel account's token, "whm" with a WHM token
  std::string username;
  std::string zone;
  std::string api_token;  // secret
};

using ProviderConfig = std::variant<Rfc2136Config, PowerDnsConfig, CloudflareConfig, CpanelConfig>;

std::string provider_kind(const ProviderConfig& config);

// From the API body {"provider": "rfc2136", "server": ..., ...}; errors name the field.
Result<ProviderConfig> parse_provider_config(const boost::json::object& body);

// Split for storage: the settings and, separately, the secrets (to be encrypted).
boost::json::object public_settings(const ProviderConfig& config);
boost::json::object secret_settings(const ProviderConfig& config);
Result<ProviderConfig> join_settings(const std::string& kind, const boost::json::object& settings,
                                     const boost::json::object& secrets);

// What the API shows: the settings with every secret replaced by "***".
boost::json::object masked_json(const ProviderConfig& config);

std::unique_ptr<DnsProvider> make_provider(const ProviderConfig& config);

}  // namespace balctl::dns
