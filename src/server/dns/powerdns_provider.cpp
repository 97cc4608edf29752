#include "server/dns/powerdns_provider.hpp"

#include <algorithm>
#include <cstdint>

#include <boost/json/serialize.hpp>

#include "server/dns/dns_query.hpp"
#include "server/dns/rfc2136_provider.hpp"

namespace balctl::dns {
namespace {

std::string api_message(const ApiReply& reply) {
  if (reply.body.is_object()) {
    if (const auto* error = reply.body.as_object().if_contains("error"); error != nullptr && error->is_string()) {
      return std::string(error->as_string());
    }
  }
  return "HTTP " + std::to_string(reply.status);
}

Result<AuthoritativeServer> verify_server(const std::string& text) {
  std::string host = text;
  std::int64_t port = 53;
  if (const auto colon = text.rfind(':'); colon != std::string::npos && text.find(':') == colon) {
    host = text.substr(0, colon);
    port = std::stoll(text.substr(colon + 1));
  }
  auto address = resolve_server_address(host);
  if (!address) return address.error();
  return AuthoritativeServer{*address, port};
}

}  // namespace

PowerDnsProvider::PowerDnsProvider(PowerDnsConfig config)
    : config_(std::move(config)), api_("PowerDNS API", {"X-API-Key: " + config_.api_key}) {}

std::string PowerDnsProvider::zone_url() const {
  return config_.api_url + "/api/v1/servers/" + percent_encode(config_.server_id) + "/zones/" +
         percent_encode(config_.zone + ".");
}

Result<boost::json::object> PowerDnsProvider::zone() {
  auto reply = api_.call("GET", zone_url());
  if (!reply) return reply.error();
  if (reply->status == 404 || reply->status == 422) {
    return Error{Errc::not_found, "dns_notzone", "PowerDNS has no zone " + config_.zone + ": " + api_message(*reply), {}};
  }
  if (reply->status != 200 || !reply->body.is_object()) {
    return Error{Errc::unavailable, "dns_error", "PowerDNS API: " + api_message(*reply), {}};
  }
  return reply->body.as_object();
}

Status PowerDnsProvider::set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) {
  if (!in_zone(fqdn, config_.zone)) {
    return Error{Errc::invalid_argument, "dns_notzone", fqdn + " is not inside zone " + config_.zone, {}};
  }
  const boost::json::object body{
      {"rrsets", boost::json::array{boost::json::object{
                     {"name", fqdn + "."},
                     {"type", "A"},
                     {"ttl", ttl},
                     {"changetype", "REPLACE"},
                     {"records", boost::json::array{boost::json::object{{"content", ipv4}, {"disabled", false}}}}}}}};
  auto reply = api_.call("PATCH", zone_url(), boost::json::serialize(body));
  if (!reply) return reply.error();
  if (reply->status == 204 || reply->status == 200) return {};
  if (reply->status == 404) {
    return Error{Errc::not_found, "dns_notzone", "PowerDNS has no zone " + config_.zone + ": " + api_message(*reply), {}};
  }
  return Error{Errc::invalid_argument, "dns_error", "PowerDNS refused the change: " + api_message(*reply), {}};
}

Result<std::vector<std::string>> PowerDnsProvider::get_a_records(const std::string& fqdn) {
  if (!config_.verify_server.empty()) {
    auto server = verify_server(config_.verify_server);
    if (!server) return server.error();
    return query_a(*server, fqdn);
  }
  auto zone_object = zone();
  if (!zone_object) return zone_object.error();
  return powerdns_a_records(*zone_object, fqdn);
}

Result<std::vector<std::string>> PowerDnsProvider::check_binding(const std::string& fqdn) {
  if (auto zone_object = zone(); !zone_object) return zone_object.error();
  return get_a_records(fqdn);
}

Result<std::optional<std::uint32_t>> PowerDnsProvider::soa_serial() {
  if (!config_.verify_server.empty()) {
    auto server = verify_server(config_.verify_server);
    if (!server) return server.error();
    auto serial = query_soa_serial(*server, config_.zone);
    if (!serial) return serial.error();
    return std::optional<std::uint32_t>(*serial);
  }
  auto zone_object = zone();
  if (!zone_object) return zone_object.error();
  return powerdns_serial(*zone_object);
}

// Read with if_contains and type checks, never at()/as_*(): those throw on a reply of another shape, and
// an exception on the failover engine's thread would end the process.
Result<std::vector<std::string>> powerdns_a_records(const boost::json::object& zone,
                                                    const std::string& fqdn) {
  const auto malformed = [](std::string what) {
    return Error{Errc::unavailable, "dns_error", "PowerDNS API: malformed zone reply: " + what, {}};
  };
  const auto text = [](const boost::json::object& object,
                       std::string_view key) -> const boost::json::string* {
    const auto* value = object.if_contains(key);
    return value != nullptr && value->is_string() ? &value->get_string() : nullptr;
  };
  std::vector<std::string> addresses;
  const auto* rrsets = zone.if_contains("rrsets");
  if (rrsets == nullptr || !rrsets->is_array()) return addresses;
  const std::string name = fqdn + ".";
  for (const auto& rrset : rrsets->get_array()) {
    if (!rrset.is_object()) return malformed("an rrset is not an object");
    const auto& set = rrset.get_object();
    const auto* type = text(set, "type");
    const auto* owner = text(set, "name");
    if (type == nullptr || owner == nullptr) return malformed("an rrset without a type or name");
    if (*type != "A" || *owner != name) continue;
    const auto* records = set.if_contains("records");
    if (records == nullptr || !records->is_array())
      return malformed("the A rrset of " + fqdn + " has no records");
    for (const auto& record : records->get_array()) {
      const auto* content = record.is_object() ? text(record.get_object(), "content") : nullptr;
      if (content == nullptr) return malformed("an A record of " + fqdn + " without content");
      addresses.emplace_back(*content);
    }
  }
  std::sort(addresses.begin(), addresses.end());
  return addresses;
}

std::optional<std::uint32_t> powerdns_serial(const boost::json::object& zone) {
  const auto* serial = zone.if_contains("serial");
  if (serial == nullptr) return std::nullopt;
  // to_number<uint32_t> throws for a negative, fractional or too large number: no serial then.
  if (serial->is_uint64() && serial->get_uint64() <= UINT32_MAX)
    return static_cast<std::uint32_t>(serial->get_uint64());
  if (serial->is_int64() && serial->get_int64() >= 0 && serial->get_int64() <= UINT32_MAX) {
    return static_cast<std::uint32_t>(serial->get_int64());
  }
  return std::nullopt;
}

}  // namespace balctl::dns
