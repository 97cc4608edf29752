#include "server/dns/provider_config.hpp"

#include <boost/url/parse.hpp>

#include <algorithm>
#include <array>
#include <cctype>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/validate.hpp"
#include "server/dns/cloudflare_provider.hpp"
#include "server/dns/cpanel_provider.hpp"
#include "server/dns/powerdns_provider.hpp"
#include "server/dns/rfc2136_provider.hpp"

namespace balctl::dns {
namespace {

constexpr std::array<const char*, 6> kTsigAlgorithms = {"hmac-md5",    "hmac-sha1",   "hmac-sha224",
                                                        "hmac-sha256", "hmac-sha384", "hmac-sha512"};

template <class T>
Result<ProviderConfig> finish(const json::FieldReader& reader, T config) {
  if (!reader.ok()) return reader.error();
  return ProviderConfig(std::move(config));
}

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "::1" || host == "[::1]" || host.rfind("127.", 0) == 0;
}

// An http(s) URL. Plain http is only accepted for loopback: API keys must not cross a network in clear.
std::string read_url(json::FieldReader& r, std::string_view key, std::optional<std::string> fallback = std::nullopt) {
  auto text = fallback ? std::optional(r.optional_string(key, 512).value_or(*fallback))
                       : std::optional(r.required_string(key, 512));
  if (!r.ok()) return {};
  auto url = boost::urls::parse_absolute_uri(*text);
  if (!url || (url->scheme() != "https" && url->scheme() != "http") || url->host().empty()) {
    r.fail(key, "field '" + std::string(key) + "' must be an http(s) URL");
    return {};
  }
  if (url->scheme() == "http" && !is_loopback_host(url->host())) {
    r.fail(key, "field '" + std::string(key) + "' must use https (plain http only for 127.0.0.1 / localhost)");
    return {};
  }
  std::string out = *text;
  while (!out.empty() && out.back() == '/') out.pop_back();
  return out;
}

std::string read_zone(json::FieldReader& r, std::string_view key = "zone") {
  const auto text = r.required_string(key, 253);
  if (!r.ok()) return {};
  auto zone = validate::hostname(text);
  if (!zone) r.fail(key, "field '" + std::string(key) + "' must be a DNS zone such as example.com");
  return zone.value_or("");
}

std::string read_secret(json::FieldReader& r, std::string_view key) {
  const auto text = r.required_string(key, 4096);
  if (r.ok() && text.find_first_of("\r\n") != std::string::npos) {
    r.fail(key, "field '" + std::string(key) + "' must be one line");
  }
  return text;
}

Result<ProviderConfig> parse_rfc2136(json::FieldReader& r) {
  Rfc2136Config c;
  c.server = r.required_string("server", 253);
  if (r.ok() && !validate::ip_address(c.server) && !validate::hostname(c.server)) {
    r.fail("server", "field 'server' must be the primary's IP address or host name");
  }
  c.port = r.optional_int("port", 1, 65535).value_or(53);
  c.zone = read_zone(r);
  const auto key_name = r.required_string("tsig_name", 253);
  if (r.ok()) {
    const bool valid = !key_name.empty() && std::all_of(key_name.begin(), key_name.end(), [](unsigned char ch) {
      return std::isalnum(ch) || ch == '-' || ch == '_' || ch == '.';
    });
    if (!valid) r.fail("tsig_name", "field 'tsig_name' must be a key name such as balctl-key");
    c.tsig_name = key_name;
  }
  c.tsig_algorithm = r.optional_string("tsig_algorithm", 32).value_or("hmac-sha256");
  if (r.ok() && std::find(kTsigAlgorithms.begin(), kTsigAlgorithms.end(), c.tsig_algorithm) == kTsigAlgorithms.end()) {
    r.fail("tsig_algorithm", "field 'tsig_algorithm' must be one of hmac-md5, hmac-sha1, hmac-sha224, "
                             "hmac-sha256, hmac-sha384, hmac-sha512");
  }
  c.tsig_secret = read_secret(r, "tsig_secret");
  if (r.ok()) {
    const auto decoded = crypto::from_base64(c.tsig_secret);
    if (!decoded || decoded->size() < 16) {
      r.fail("tsig_secret", "field 'tsig_secret' must be the base64 key secret (at least 16 bytes)");
    }
  }
  return finish(r, std::move(c));
}

Result<ProviderConfig> parse_powerdns(json::FieldReader& r) {
  PowerDnsConfig c;
  c.api_url = read_url(r, "api_url");
  c.server_id = r.optional_string("server_id", 64).value_or("localhost");
  c.zone = read_zone(r);
  c.api_key = read_secret(r, "api_key");
  c.verify_server = r.optional_string("verify_server", 64).value_or("");
  return finish(r, std::move(c));
}

Result<ProviderConfig> parse_cloudflare(json::FieldReader& r) {
  CloudflareConfig c;
  c.api_url = read_url(r, "api_url", c.api_url);
  c.zone_id = r.required_string("zone_id", 32);
  if (r.ok() && (c.zone_id.size() != 32 || c.zone_id.find_first_not_of("0123456789abcdef") != std::string::npos)) {
    r.fail("zone_id", "field 'zone_id' must be the 32-character zone identifier from the Cloudflare dashboard");
  }
  c.proxied = r.optional_bool("proxied").value_or(false);
  c.api_token = read_secret(r, "api_token");
  return finish(r, std::move(c));
}

Result<ProviderConfig> parse_cpanel(json::FieldReader& r) {
  CpanelConfig c;
  c.api_url = read_url(r, "api_url");
  const auto mode = r.optional_string("mode", 16).value_or("uapi");
  if (r.ok() && mode != "uapi" && mode != "whm") {
    r.fail("mode",
           "field 'mode' must be uapi (a cPanel account's token, port 2083) or whm (a WHM token, port 2087)");
  }
  c.api = mode == "whm" ? CpanelApi::whm : CpanelApi::uapi;
  c.username = r.required_string("username", 64);
  if (r.ok() && !validate::object_name(c.username)) {
    r.fail("username",
           std::string("field 'username' must be the ") +
               (c.api == CpanelApi::whm ? "WHM user (root or a reseller)" : "cPanel account name"));
  }
  c.zone = read_zone(r);
  c.api_token = read_secret(r, "api_token");
  return finish(r, std::move(c));
}

}  // namespace

std::string provider_kind(const ProviderConfig& config) {
  struct Kind {
    std::string operator()(const Rfc2136Config&) const { return "rfc2136"; }
    std::string operator()(const PowerDnsConfig&) const { return "powerdns"; }
    std::string operator()(const CloudflareConfig&) const { return "cloudflare"; }
    std::string operator()(const CpanelConfig&) const { return "cpanel"; }
  };
  return std::visit(Kind{}, config);
}

Result<ProviderConfig> parse_provider_config(const boost::json::object& body) {
  json::FieldReader r(body);
  const auto kind = r.required_string("provider", 32);
  if (!r.ok()) return r.error();
  if (kind == "rfc2136") return parse_rfc2136(r);
  if (kind == "powerdns") return parse_powerdns(r);
  if (kind == "cloudflare") return parse_cloudflare(r);
  if (kind == "cpanel") return parse_cpanel(r);
  return Error::invalid("provider", "field 'provider' must be rfc2136, powerdns, cloudflare or cpanel");
}

boost::json::object public_settings(const ProviderConfig& config) {
  struct Settings {
    boost::json::object operator()(const Rfc2136Config& c) const {
      return {{"server", c.server}, {"port", c.port}, {"zone", c.zone}, {"tsig_name", c.tsig_name},
              {"tsig_algorithm", c.tsig_algorithm}};
    }
    boost::json::object operator()(const PowerDnsConfig& c) const {
      return {{"api_url", c.api_url}, {"server_id", c.server_id}, {"zone", c.zone}, {"verify_server", c.verify_server}};
    }
    boost::json::object operator()(const CloudflareConfig& c) const {
      return {{"api_url", c.api_url}, {"zone_id", c.zone_id}, {"proxied", c.proxied}};
    }
    boost::json::object operator()(const CpanelConfig& c) const {
      return {{"api_url", c.api_url},
              {"mode", c.api == CpanelApi::whm ? "whm" : "uapi"},
              {"username", c.username},
              {"zone", c.zone}};
    }
  };
  return std::visit(Settings{}, config);
}

boost::json::object secret_settings(const ProviderConfig& config) {
  struct Secrets {
    boost::json::object operator()(const Rfc2136Config& c) const { return {{"tsig_secret", c.tsig_secret}}; }
    boost::json::object operator()(const PowerDnsConfig& c) const { return {{"api_key", c.api_key}}; }
    boost::json::object operator()(const CloudflareConfig& c) const { return {{"api_token", c.api_token}}; }
    boost::json::object operator()(const CpanelConfig& c) const { return {{"api_token", c.api_token}}; }
  };
  return std::visit(Secrets{}, config);
}

Result<ProviderConfig> join_settings(const std::string& kind, const boost::json::object& settings,
                                     const boost::json::object& secrets) {
  boost::json::object merged = settings;
  for (const auto& [key, value] : secrets) merged[key] = value;
  merged["provider"] = kind;
  return parse_provider_config(merged);
}

boost::json::object masked_json(const ProviderConfig& config) {
  auto out = public_settings(config);
  for (const auto& [key, value] : secret_settings(config)) out[key] = "***";
  out["provider"] = provider_kind(config);
  return out;
}

std::unique_ptr<DnsProvider> make_provider(const ProviderConfig& config) {
  struct Make {
    std::unique_ptr<DnsProvider> operator()(const Rfc2136Config& c) const { return std::make_unique<Rfc2136Provider>(c); }
    std::unique_ptr<DnsProvider> operator()(const PowerDnsConfig& c) const { return std::make_unique<PowerDnsProvider>(c); }
    std::unique_ptr<DnsProvider> operator()(const CloudflareConfig& c) const {
      return std::make_unique<CloudflareProvider>(c);
    }
    std::unique_ptr<DnsProvider> operator()(const CpanelConfig& c) const { return std::make_unique<CpanelProvider>(c); }
  };
  return std::visit(Make{}, config);
}

}  // namespace balctl::dns
