#include "server/dns/cpanel_provider.hpp"

#include <algorithm>

#include <boost/json/serialize.hpp>

#include "server/dns/rfc2136_provider.hpp"

namespace balctl::dns {
namespace {

// A zone edited by someone else between our read and our edit is read again, this many times in all.
constexpr int kSerialAttempts = 3;

bool whm(const CpanelConfig& config) {
  return config.api == CpanelApi::whm;
}

std::string relative_name(const std::string& fqdn, const std::string& zone) {
  if (fqdn == zone) return "@";
  return fqdn.substr(0, fqdn.size() - zone.size() - 1);
}

std::string field(std::string_view key, std::string_view value) {
  return std::string(key) + "=" + percent_encode(value);
}

std::vector<const CpanelRecord*> a_lines(const CpanelZone& zone, const std::string& fqdn) {
  std::vector<const CpanelRecord*> out;
  for (const auto& record : zone.records) {
    if (record.type == "A" && record.name == fqdn && !record.data.empty()) out.push_back(&record);
  }
  return out;
}

// Not a 200: cPanel's own words when the body has them, else the status.
Error http_error(const CpanelConfig& config, const ApiReply& reply, std::string_view function) {
  auto text = cpanel_error_text(reply.body, config.api);
  return Error{Errc::invalid_argument,
               "dns_error",
               std::string(whm(config) ? "WHM" : "cPanel") + " answered HTTP " +
                   std::to_string(reply.status) + " to " + std::string(function) +
                   (text.empty() ? "" : ": " + text),
               {}};
}

}  // namespace

CpanelProvider::CpanelProvider(CpanelConfig config)
    : config_(std::move(config)),
      api_(whm(config_) ? "WHM API" : "cPanel API",
           {"Authorization: " + std::string(whm(config_) ? "whm " : "cpanel ") + config_.username + ":" +
            config_.api_token}) {}

std::string CpanelProvider::base() const {
  return config_.api_url + (whm(config_) ? "/json-api/" : "/execute/DNS/");
}

Result<CpanelZone> CpanelProvider::read_zone() {
  const std::string url = whm(config_)
                              ? base() + "parse_dns_zone?api.version=1&" + field("zone", config_.zone)
                              : base() + "parse_zone?" + field("zone", config_.zone);
  auto reply = api_.call("GET", url);
  if (!reply && reply.error().code == "dns_auth") {
    // The two modes take different tokens; a cPanel token sent to WHM (or the reverse) is refused too.
    auto error = reply.error();
    error.message += whm(config_) ? "; mode whm needs a WHM API token of that WHM user"
                                  : "; mode uapi needs an API token of that cPanel account";
    return error;
  }
  if (!reply) return reply.error();
  if (reply->status != 200)
    return http_error(config_, *reply, whm(config_) ? "parse_dns_zone" : "parse_zone");
  return parse_zone_json(reply->body, config_.api, config_.zone);
}

Result<std::vector<std::string>> CpanelProvider::get_a_records(const std::string& fqdn) {
  auto zone = read_zone();
  if (!zone) return zone.error();
  std::vector<std::string> addresses;
  for (const auto* line : a_lines(*zone, fqdn))
    addresses.push_back(line->data.front());
  std::sort(addresses.begin(), addresses.end());
  return addresses;
}

Result<std::optional<std::uint32_t>> CpanelProvider::soa_serial() {
  auto zone = read_zone();
  if (!zone) return zone.error();
  return zone->serial;
}

Status CpanelProvider::mass_edit(const std::string& fqdn, const CpanelZone& zone, const std::string& ipv4,
                                 std::int64_t ttl) {
  if (!zone.serial) {
    return Error{Errc::invalid_argument,
                 "dns_error",
                 "cPanel's zone " + config_.zone + " has no SOA record, so it cannot be edited",
                 {}};
  }
  boost::json::object record{{"dname", relative_name(fqdn, config_.zone)},
                             {"ttl", ttl},
                             {"record_type", "A"},
                             {"data", boost::json::array{ipv4}}};
  std::string args = field("zone", config_.zone) + "&" + field("serial", std::to_string(*zone.serial));
  const auto lines = a_lines(zone, fqdn);
  if (lines.empty()) {
    args += "&" + field("add", boost::json::serialize(record));
  } else {
    record["line_index"] = lines.front()->line_index;
    args += "&" + field("edit", boost::json::serialize(record));
    for (std::size_t i = 1; i < lines.size(); ++i) {
      args += "&" + field("remove", std::to_string(lines[i]->line_index));
    }
  }
  // WHM API 1 documents its arguments as a query string; UAPI takes a form body, as cPanel's clients send.
  auto reply = whm(config_)
                   ? api_.call("GET", base() + "mass_edit_dns_zone?api.version=1&" + args)
                   : api_.call("POST", base() + "mass_edit_zone", args, "application/x-www-form-urlencoded");
  if (!reply) return reply.error();
  if (reply->status != 200) {
    return http_error(config_, *reply, whm(config_) ? "mass_edit_dns_zone" : "mass_edit_zone");
  }
  return parse_edit_json(reply->body, config_.api);
}

Status CpanelProvider::set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) {
  if (!in_zone(fqdn, config_.zone)) {
    return Error{Errc::invalid_argument, "dns_notzone", fqdn + " is not inside zone " + config_.zone, {}};
  }
  for (int attempt = 1;; ++attempt) {
    auto zone = read_zone();
    if (!zone) return zone.error();
    auto status = mass_edit(fqdn, *zone, ipv4, ttl);
    if (status || status.error().code != "dns_prerequisite") return status;
    if (attempt >= kSerialAttempts) {
      auto error = status.error();
      error.message += " (the zone changed between our read and our edit " + std::to_string(kSerialAttempts) +
                       " times in a row; trying again later)";
      error.kind = Errc::unavailable;
      return error;
    }
  }
}

}  // namespace balctl::dns
