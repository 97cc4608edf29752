// Admin request bodies and path segments for pools and members (POST/PATCH /api/v1/pools...,
// POST .../members, the {pool} and {host} segments). The first byte picks the parser. Beyond "no crash":
// a refusal names the field, and accepted values stay inside the documented ranges.
#include <cstddef>
#include <cstdint>

#include "common/json.hpp"
#include "fuzz_check.hpp"
#include "server/fleet/specs.hpp"

namespace {

using namespace balctl;

void check_error(const Error& error) {
  FUZZ_CHECK(!error.message.empty());
  FUZZ_CHECK(error.kind != Errc::invalid_argument || !error.field.empty());
}

void body(std::uint8_t which, const boost::json::object& object) {
  namespace l = fleet::limits;
  switch (which % 3) {
    case 0: {
      const auto spec = fleet::parse_pool_spec(object);
      if (!spec) return check_error(spec.error());
      FUZZ_CHECK(!spec->name.empty() && !spec->hostname.empty());
      FUZZ_CHECK(spec->delay_s >= l::kMinDelayS && spec->delay_s <= l::kMaxDelayS);
      FUZZ_CHECK(fleet::parse_pool_name(spec->name).ok());
      return;
    }
    case 1: {
      const auto patch = fleet::parse_pool_patch(object);
      if (!patch) return check_error(patch.error());
      if (patch->delay_s) FUZZ_CHECK(*patch->delay_s >= l::kMinDelayS && *patch->delay_s <= l::kMaxDelayS);
      if (patch->ttl_s) FUZZ_CHECK(*patch->ttl_s >= l::kMinTtlS && *patch->ttl_s <= l::kMaxTtlS);
      if (patch->probe_ports)
        FUZZ_CHECK(fleet::parse_probe_ports(*patch->probe_ports).size() <= l::kMaxProbePorts);
      return;
    }
    default: {
      const auto member = fleet::parse_member_spec(object);
      if (!member) return check_error(member.error());
      FUZZ_CHECK(member->priority >= l::kMinPriority && member->priority <= l::kMaxPriority);
      FUZZ_CHECK(member->key_ttl_s >= l::kMinKeyTtlS && member->key_ttl_s <= l::kMaxKeyTtlS);
      FUZZ_CHECK(fleet::parse_member_hostname(member->hostname).ok());
      return;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);
  switch (data[0] % 4) {
    case 0: {  // path segments and the stored probe port list
      if (auto pool = fleet::parse_pool_name(text); !pool) check_error(pool.error());
      if (auto host = fleet::parse_member_hostname(text); !host) check_error(host.error());
      for (const int port : fleet::parse_probe_ports(text))
        FUZZ_CHECK(port >= 1 && port <= 65535);
      return 0;
    }
    default: {
      const auto object = json::parse_object(text);
      if (object) body(data[0] >> 2, *object);
      return 0;
    }
  }
}
