#include "server/dns/cpanel_provider.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

#include "common/crypto.hpp"
#include "server/dns/rfc2136_provider.hpp"

namespace balctl::dns {
namespace {

constexpr int kSerialRetries = 3;

std::string decode(const boost::json::value& value) {
  if (!value.is_string()) return {};
  return crypto::from_base64(value.as_string()).value_or("");
}

// UAPI answers HTTP 200 with result.status 0 and result.errors on failure.
const boost::json::object* uapi_result(const ApiReply& reply) {
  if (!reply.body.is_object()) return nullptr;
  const auto* result = reply.body.as_object().if_contains("result");
  return result != nullptr && result->is_object() ? &result->as_object() : nullptr;
}

std::string uapi_errors(const ApiReply& reply) {
  std::string out;
  if (const auto* result = uapi_result(reply)) {
    if (const auto* errors = result->if_contains("errors"); errors != nullptr && errors->is_array()) {
      for (const auto& error : errors->as_array()) {
        if (!error.is_string()) continue;
        if (!out.empty()) out += "; ";
        out += std::string(error.as_string());
      }
    }
  }
  return out.empty() ? "HTTP " + std::to_string(reply.status) : out;
}

bool uapi_ok(const ApiReply& reply) {
  const auto* result = uapi_result(reply);
  if (reply.status != 200 || result == nullptr) return false;
  const auto* status = result->if_contains("status");
  return status != nullptr && status->is_number() && status->to_number<int>() == 1;
}

// A record's owner as cPanel writes it: relative ("lb") or absolute ("lb.example.com.").
std::string absolute_name(const std::string& dname, const std::string& zone) {
  if (dname.empty() || dname == "@") return zone;
  if (dname.back() == '.') return dname.substr(0, dname.size() - 1);
  return dname + "." + zone;
}

std::string relative_name(const std::string& fqdn, const std::string& zone) {
  if (fqdn == zone) return "@";
  return fqdn.substr(0, fqdn.size() - zone.size() - 1);
}

std::string form(std::initializer_list<std::pair<std::string, std::string>> fields) {
  std::string out;
  for (const auto& [key, value] : fields) {
    if (!out.empty()) out += '&';
    out += key + "=" + percent_encode(value);
  }
  return out;
}

}  // namespace

CpanelProvider::CpanelProvider(CpanelConfig config)
    : config_(std::move(config)),
      api_("cPanel API", {"Authorization: cpanel " + config_.username + ":" + config_.api_token}) {}

Result<CpanelProvider::ParsedZone> CpanelProvider::parse_zone(const std::string& fqdn) {
  auto reply = api_.call("GET", config_.api_url + "/execute/DNS/parse_zone?zone=" + percent_encode(config_.zone));
  if (!reply) return reply.error();
  if (!uapi_ok(*reply)) {
    return Error{Errc::not_found, "dns_notzone", "cPanel cannot read zone " + config_.zone + ": " + uapi_errors(*reply),
                 {}};
  }
  ParsedZone zone;
  const auto* data = uapi_result(*reply)->if_contains("data");
  if (data == nullptr || !data->is_array()) return zone;
  for (const auto& item : data->as_array()) {
    if (!item.is_object()) continue;
    const auto& record = item.as_object();
    const auto* type = record.if_contains("record_type");
    const auto* values = record.if_contains("data_b64");
    if (type == nullptr || !type->is_string() || values == nullptr || !values->is_array()) continue;
    if (*type == "SOA" && values->as_array().size() >= 3) {
      zone.serial = static_cast<std::uint32_t>(std::stoul("0" + decode(values->as_array()[2])));
    } else if (*type == "A" && !values->as_array().empty() &&
               absolute_name(decode(record.at("dname_b64")), config_.zone) == fqdn) {
      zone.lines.push_back({record.at("line_index").to_number<std::int64_t>(), decode(values->as_array()[0])});
    }
  }
  return zone;
}

Result<std::vector<std::string>> CpanelProvider::get_a_records(const std::string& fqdn) {
  auto zone = parse_zone(fqdn);
  if (!zone) return zone.error();
  std::vector<std::string> addresses;
  for (const auto& line : zone->lines) addresses.push_back(line.address);
  std::sort(addresses.begin(), addresses.end());
  return addresses;
}

Result<std::optional<std::uint32_t>> CpanelProvider::soa_serial() {
  auto zone = parse_zone(config_.zone);
  if (!zone) return zone.error();
  return std::optional<std::uint32_t>(zone->serial);
}

Status CpanelProvider::mass_edit(const std::string& fqdn, const ParsedZone& zone, const std::string& ipv4,
                                 std::int64_t ttl) {
  boost::json::object record{{"dname", relative_name(fqdn, config_.zone)},
                             {"ttl", ttl},
                             {"record_type", "A"},
                             {"data", boost::json::array{ipv4}}};
  std::string body = form({{"zone", config_.zone}, {"serial", std::to_string(zone.serial)}});
  if (zone.lines.empty()) {
    body += "&" + form({{"add", boost::json::serialize(record)}});
  } else {
    record["line_index"] = zone.lines.front().line_index;
    body += "&" + form({{"edit", boost::json::serialize(record)}});
    for (std::size_t i = 1; i < zone.lines.size(); ++i) {
      body += "&" + form({{"remove", std::to_string(zone.lines[i].line_index)}});
    }
  }
  auto reply = api_.call("POST", config_.api_url + "/execute/DNS/mass_edit_zone", body,
                         "application/x-www-form-urlencoded");
  if (!reply) return reply.error();
  if (uapi_ok(*reply)) return {};
  const std::string errors = uapi_errors(*reply);
  if (errors.find("serial") != std::string::npos) {
    return Error{Errc::conflict, "dns_prerequisite", "cPanel: " + errors, {}};
  }
  return Error{Errc::invalid_argument, "dns_error", "cPanel refused the change: " + errors, {}};
}

Status CpanelProvider::set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) {
  if (!in_zone(fqdn, config_.zone)) {
    return Error{Errc::invalid_argument, "dns_notzone", fqdn + " is not inside zone " + config_.zone, {}};
  }
  for (int attempt = 1;; ++attempt) {
    auto zone = parse_zone(fqdn);
    if (!zone) return zone.error();
    auto status = mass_edit(fqdn, *zone, ipv4, ttl);
    if (status || status.error().code != "dns_prerequisite" || attempt >= kSerialRetries) return status;
  }
}

}  // namespace balctl::dns
