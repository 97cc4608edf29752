#include "server/fleet/specs.hpp"

#include <charconv>

#include "common/json.hpp"
#include "common/validate.hpp"

namespace balctl::fleet {
namespace {

template <class T>
Result<T> finish(const json::FieldReader& reader, T value) {
  if (!reader.ok()) return reader.error();
  return value;
}

const char* kFqdnMessage = "field 'hostname' must be a fully qualified domain name such as lb.example.com";

std::optional<std::string> read_fqdn(json::FieldReader& r, bool required) {
  const auto text = required ? std::optional(r.required_string("hostname", 253)) : r.optional_string("hostname", 253);
  if (!r.ok() || !text) return std::nullopt;
  auto name = validate::fqdn(*text);
  if (!name) r.fail("hostname", kFqdnMessage);
  return name;
}

}  // namespace

Result<PoolSpec> parse_pool_spec(const boost::json::object& body) {
  json::FieldReader r(body);
  PoolSpec spec;
  const std::string name = r.required_string("name", 63);
  if (r.ok()) {
    if (auto valid = validate::object_name(name)) {
      spec.name = *valid;
    } else {
      r.fail("name", "field 'name' must be 1-63 characters of a-z, 0-9, '-' or '_'");
    }
  }
  spec.hostname = read_fqdn(r, true).value_or("");
  spec.preset = r.optional_string("preset", 16).value_or("haproxy");
  if (r.ok() && spec.preset != "haproxy" && spec.preset != "generic") {
    r.fail("preset", "field 'preset' must be haproxy or generic");
  }
  spec.delay_s = r.optional_int("delay_s", limits::kMinDelayS, limits::kMaxDelayS).value_or(limits::kDefaultDelayS);
  return finish(r, std::move(spec));
}

Result<PoolPatch> parse_pool_patch(const boost::json::object& body) {
  json::FieldReader r(body);
  PoolPatch patch;
  patch.hostname = read_fqdn(r, false);
  patch.delay_s = r.optional_int("delay_s", limits::kMinDelayS, limits::kMaxDelayS);
  patch.haproxy_grace_s = r.optional_int("haproxy_grace_s", 0, limits::kMaxGraceS);
  patch.failback = r.optional_string("failback", 16);
  if (r.ok() && patch.failback && *patch.failback != "none" && *patch.failback != "preferred") {
    r.fail("failback", "field 'failback' must be none or preferred");
  }
  patch.ttl_s = r.optional_int("ttl_s", limits::kMinTtlS, limits::kMaxTtlS);
  if (const auto* ports = r.optional_array("probe_ports", limits::kMaxProbePorts)) {
    std::string text;
    for (const auto& port : *ports) {
      if (!port.is_int64() || port.get_int64() < 1 || port.get_int64() > 65535) {
        r.fail("probe_ports", "field 'probe_ports' must be a list of TCP ports such as [80, 443]");
        break;
      }
      text += (text.empty() ? "" : ",") + std::to_string(port.get_int64());
    }
    patch.probe_ports = text;
  }
  patch.failback_after_s = r.optional_int("failback_after_s", 0, limits::kMaxFailbackAfterS);
  patch.dwell_s = r.optional_int("dwell_s", 0, limits::kMaxDwellS);
  patch.settle_s = r.optional_int("settle_s", 0, limits::kMaxSettleS);
  patch.dns_sync = r.optional_bool("dns_sync");
  patch.dns_repair = r.optional_bool("dns_repair");
  if (r.ok() && patch.empty()) {
    r.fail("body", "nothing to change: give at least one of hostname, delay_s, haproxy_grace_s, failback, ttl_s, "
                   "probe_ports, failback_after_s, dwell_s, settle_s, dns_sync, dns_repair");
  }
  return finish(r, std::move(patch));
}

std::vector<int> parse_probe_ports(std::string_view text) {
  std::vector<int> ports;
  while (!text.empty()) {
    const auto comma = std::min(text.find(','), text.size());
    const auto part = text.substr(0, comma);
    int port = 0;
    if (std::from_chars(part.data(), part.data() + part.size(), port).ec == std::errc() && port > 0 && port < 65536) {
      ports.push_back(port);
    }
    text.remove_prefix(std::min(comma + 1, text.size()));
  }
  return ports;
}

bool PoolPatch::empty() const {
  return !hostname && !delay_s && !haproxy_grace_s && !failback && !ttl_s && !probe_ports && !failback_after_s &&
         !dwell_s && !settle_s && !dns_sync && !dns_repair;
}

Result<MemberSpec> parse_member_spec(const boost::json::object& body) {
  json::FieldReader r(body);
  MemberSpec spec;
  const std::string host = r.required_string("hostname", 253);
  if (r.ok()) {
    if (auto valid = validate::hostname(host)) {
      spec.hostname = *valid;
    } else {
      r.fail("hostname", "field 'hostname' must be a valid host name such as lb1.example.com");
    }
  }
  const std::string ip = r.required_string("ipv4", 64);
  if (r.ok()) {
    if (auto valid = validate::advertised_ipv4(ip)) {
      spec.ipv4 = *valid;
    } else {
      r.fail("ipv4", "field 'ipv4' must be a unicast IPv4 address such as 192.0.2.10");
    }
  }
  if (auto egress = r.optional_string("egress_ip", 64); r.ok() && egress && !egress->empty()) {
    spec.egress_ip = validate::ip_address(*egress);
    if (!spec.egress_ip) r.fail("egress_ip", "field 'egress_ip' must be an IPv4 or IPv6 address");
  }
  spec.priority =
      r.optional_int("priority", limits::kMinPriority, limits::kMaxPriority).value_or(limits::kDefaultPriority);
  spec.key_ttl_s =
      r.optional_int("key_ttl_s", limits::kMinKeyTtlS, limits::kMaxKeyTtlS).value_or(limits::kDefaultKeyTtlS);
  return finish(r, std::move(spec));
}

Result<std::string> parse_pool_name(std::string_view text) {
  if (auto valid = validate::object_name(text)) return *valid;
  return Error::invalid("pool", "pool name must be 1-63 characters of a-z, 0-9, '-' or '_'");
}

Result<std::string> parse_member_hostname(std::string_view text) {
  if (auto valid = validate::hostname(text)) return *valid;
  return Error::invalid("hostname", "'" + std::string(text.substr(0, 64)) + "' is not a valid host name");
}

}  // namespace balctl::fleet
