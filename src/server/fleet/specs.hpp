// What the admin API accepts for pools and members, parsed and validated from JSON in one place so that
// every field error names the field. Ranges live here and nowhere else.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace balctl::fleet {

namespace limits {
inline constexpr std::int64_t kMinDelayS = 3;
inline constexpr std::int64_t kMaxDelayS = 120;
inline constexpr std::int64_t kDefaultDelayS = 10;
inline constexpr std::int64_t kMaxGraceS = 60;
inline constexpr std::int64_t kDefaultGraceS = 1;
inline constexpr std::int64_t kMinTtlS = 5;
inline constexpr std::int64_t kMaxTtlS = 86'400;
inline constexpr std::int64_t kDefaultTtlS = 30;
inline constexpr std::int64_t kMinKeyTtlS = 60;
inline constexpr std::int64_t kMaxKeyTtlS = 30 * 86'400;
inline constexpr std::int64_t kDefaultKeyTtlS = 86'400;
inline constexpr std::int64_t kMinPriority = 0;
inline constexpr std::int64_t kMaxPriority = 1000;
inline constexpr std::int64_t kDefaultPriority = 100;
inline constexpr std::int64_t kMaxFailbackAfterS = 86'400;
inline constexpr std::int64_t kMaxDwellS = 86'400;
inline constexpr std::int64_t kMaxSettleS = 3600;
inline constexpr std::size_t kMaxProbePorts = 8;
}  // namespace limits

struct PoolSpec {
  std::string name;
  std::string hostname;
  std::string preset = "haproxy";
  std::int64_t delay_s = limits::kDefaultDelayS;
};
Result<PoolSpec> parse_pool_spec(const boost::json::object& body);

struct PoolPatch {
  std::optional<std::string> hostname;
  std::optional<std::int64_t> delay_s;
  std::optional<std::int64_t> haproxy_grace_s;
  std::optional<std::string> failback;
  std::optional<std::int64_t> ttl_s;
  std::optional<std::string> probe_ports;  // "80,443"; "" disables probe confirmation
  std::optional<std::int64_t> failback_after_s;
  std::optional<std::int64_t> dwell_s;
  std::optional<std::int64_t> settle_s;
  std::optional<bool> dns_sync;
  std::optional<bool> dns_repair;
  bool empty() const;
};
Result<PoolPatch> parse_pool_patch(const boost::json::object& body);

struct MemberSpec {
  std::string hostname;
  std::string ipv4;
  std::optional<std::string> egress_ip;
  std::int64_t priority = limits::kDefaultPriority;
  std::int64_t key_ttl_s = limits::kDefaultKeyTtlS;
};
Result<MemberSpec> parse_member_spec(const boost::json::object& body);

// The stored probe port list ("80,443") as numbers; malformed parts are skipped.
std::vector<int> parse_probe_ports(std::string_view text);

// Validates a path segment naming a pool or member; errors name the parameter.
Result<std::string> parse_pool_name(std::string_view text);
Result<std::string> parse_member_hostname(std::string_view text);

}  // namespace balctl::fleet
