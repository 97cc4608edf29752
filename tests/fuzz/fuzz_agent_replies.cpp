// What the agent reads from the control plane (or from whoever answers at its API base): the enrolment
// reply, whose values end up in agent.env, and the heartbeat reply with its interval and probe tasks.
// The first byte picks the reply; what parses must survive its own serialisation.
#include <cstddef>
#include <cstdint>

#include <boost/json/serialize.hpp>

#include "agent/agent_env.hpp"
#include "common/json.hpp"
#include "common/protocol.hpp"
#include "fuzz_check.hpp"

namespace {

void enrol_reply(const boost::json::object& object) {
  using namespace balctl;
  const auto reply = protocol::parse_enrol_response(object);
  if (!reply) return;
  const auto once = protocol::to_json(*reply);
  const auto again = protocol::parse_enrol_response(once);
  FUZZ_CHECK(again.ok() && boost::json::serialize(protocol::to_json(*again)) == boost::json::serialize(once));
  // The values the agent writes to agent.env must read back as the same configuration (item 12).
  agent::AgentConfig config;
  config.api_base = "https://127.0.0.1:8443";
  config.member_id = reply->member_id;
  config.member_secret = reply->secret;
  config.server_key = reply->server_public_key;
  const auto read = agent::parse_agent_env(agent::render_agent_env(config));
  if (!read) return;  // refused values are refused before anything is written (enrol_command)
  FUZZ_CHECK(read->member_id == config.member_id && read->member_secret == config.member_secret &&
             read->server_key == config.server_key);
}

void heartbeat_reply(const boost::json::object& object) {
  using namespace balctl;
  const auto reply = protocol::parse_heartbeat_response(object);
  if (!reply) return;
  FUZZ_CHECK(reply->interval_ms > 0);
  FUZZ_CHECK(reply->probes.size() <= protocol::kMaxProbes);
  for (const auto& probe : reply->probes)
    FUZZ_CHECK(probe.timeout_ms > 0);  // no ports: prober says unreachable
  const auto once = protocol::to_json(*reply);
  const auto again = protocol::parse_heartbeat_response(once);
  FUZZ_CHECK(again.ok() && boost::json::serialize(protocol::to_json(*again)) == boost::json::serialize(once));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto object =
      balctl::json::parse_object(std::string_view(reinterpret_cast<const char*>(data) + 1, size - 1));
  if (!object) return 0;
  if (data[0] & 1) {
    enrol_reply(*object);
  } else {
    heartbeat_reply(*object);
  }
  return 0;
}
