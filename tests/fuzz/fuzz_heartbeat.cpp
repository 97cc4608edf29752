// A heartbeat body as an agent (or anyone holding a member secret) sends it: POST /api/v1/agent/heartbeat.
// Beyond "no crash": what parses must survive its own serialisation unchanged, or the control plane would
// store and show something other than what it validated.
#include <cstddef>
#include <cstdint>

#include <boost/json/serialize.hpp>

#include "common/json.hpp"
#include "common/protocol.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl;
  const auto object = json::parse_object(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!object) return 0;
  const auto heartbeat = protocol::parse_heartbeat(*object);
  if (!heartbeat) {
    FUZZ_CHECK(!heartbeat.error().message.empty());
    return 0;
  }
  FUZZ_CHECK(heartbeat->haproxy.rows.size() <= protocol::kMaxHaproxyRows);
  FUZZ_CHECK(heartbeat->disks.size() <= protocol::kMaxDisks);
  FUZZ_CHECK(heartbeat->ipv4.size() <= protocol::kMaxAddresses);
  FUZZ_CHECK(heartbeat->services.size() <= protocol::kMaxServices);
  FUZZ_CHECK(heartbeat->probe_results.size() <= protocol::kMaxProbes);
  const auto once = protocol::to_json(*heartbeat);
  const auto again = protocol::parse_heartbeat(once);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(boost::json::serialize(protocol::to_json(*again)) == boost::json::serialize(once));
  return 0;
}
