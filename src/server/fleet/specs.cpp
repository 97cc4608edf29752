#include "server/fleet/specs.hpp"

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
  if (r.ok() && !patch.hostname && !patch.delay_s && !patch.haproxy_grace_s && !patch.failback && !patch.ttl_s) {
    r.fail("body", "nothing to change: give at least one of hostname, delay_s, haproxy_grace_s, failback, ttl_s");
  }
  return finish(r, std::move(patch));
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
