#include "server/liveness/heartbeat_service.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <spdlog/spdlog.h>

#include <array>

#include "common/crypto.hpp"
#include "common/json.hpp"
#include "common/time.hpp"
#include "common/validate.hpp"
#include "server/fleet/enrolment_keys.hpp"
#include "server/liveness/liveness_events.hpp"

namespace balctl::liveness {
namespace {

// A typical ~2 KB heartbeat parses into well under this many bytes of JSON nodes.
constexpr std::size_t kParseArenaBytes = 16 * 1024;

Error unauthorized() {
  return Error{Errc::unauthorized, "unauthorized", "missing or invalid member secret", {}};
}

std::optional<std::int64_t> member_id_of(std::string_view token) {
  const auto id = crypto::credential_id(fleet::kMemberSecretPrefix, token);
  if (!id || id->empty() || id->size() > 18) return std::nullopt;
  std::int64_t value = 0;
  for (const char c : *id) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

}  // namespace

HostSummary summarise(const protocol::Heartbeat& heartbeat) {
  HostSummary summary;
  summary.uptime_s = heartbeat.uptime_s;
  if (heartbeat.load) summary.load1 = (*heartbeat.load)[0];
  summary.cpu_pct = heartbeat.cpu_pct;
  if (heartbeat.memory && heartbeat.memory->total_kb > 0) {
    const auto used = heartbeat.memory->total_kb - std::min(heartbeat.memory->available_kb, heartbeat.memory->total_kb);
    summary.memory_used_pct = 100.0 * static_cast<double>(used) / static_cast<double>(heartbeat.memory->total_kb);
  }
  return summary;
}

HeartbeatService::HeartbeatService(fleet::Registry& registry, LivenessTable& liveness, events::EventLog& events,
                                   HeartbeatSettings settings)
    : registry_(registry), liveness_(liveness), events_(events), settings_(settings) {}

Result<protocol::HeartbeatResponse> HeartbeatService::handle(std::string_view bearer_token,
                                                             std::string_view source_ip, std::string_view body) {
  // Authenticate before parsing so an anonymous client cannot make us parse megabytes.
  const auto member_id = member_id_of(bearer_token);
  if (!member_id) return unauthorized();
  const auto context = registry_.authenticate(*member_id, crypto::hash_secret(bearer_token));
  if (!context) return unauthorized();

  const auto now_steady = time::steady_ms_now();
  const std::string source = validate::ip_address(source_ip).value_or(std::string(source_ip));
  if (context->member.egress_ip && source != *context->member.egress_ip) {
    if (refusals_.due(context->member.id, now_steady)) {
      (void)events_.record_with_states(
          {{0, 0, events::kind::kHeartbeatRefused, context->pool.name, context->member.hostname,
            "agent:" + context->member.hostname,
            "heartbeat from " + source + " refused: member only allowed from " + *context->member.egress_ip}},
          {});
    }
    return Error{Errc::forbidden, "egress_ip_mismatch",
                 "heartbeat from " + source + " refused: not the member's allowed egress address", {}};
  }

  // The JSON tree is allocated from `arena`, a bump allocator that lives for this request: the ~150
  // nodes of a heartbeat cost no malloc/free each (that was about a tenth of the server's CPU per
  // heartbeat). Nothing may keep a reference into the tree after the arena is gone: parse_heartbeat
  // copies what it keeps.
  std::array<unsigned char, kParseArenaBytes> arena_buffer;
  boost::json::monotonic_resource arena(arena_buffer.data(), arena_buffer.size());
  auto object = json::parse_object(body, &arena);
  if (!object) return object.error();
  auto heartbeat = protocol::parse_heartbeat(*object);
  if (!heartbeat) return heartbeat.error();

  Observation observation;
  observation.member_id = context->member.id;
  observation.seq = heartbeat->seq;
  observation.agent_version = heartbeat->agent_version;
  observation.haproxy = heartbeat->haproxy.state;
  observation.haproxy_version = heartbeat->haproxy.version;
  if (heartbeat->haproxy.state == protocol::HaproxyState::running) {
    observation.haproxy_stats_error = heartbeat->haproxy.stats_error;
  }
  observation.source_ip = source;
  observation.host = summarise(*heartbeat);
  observation.steady_ms = now_steady;
  observation.wall_ms = time::unix_ms_now();
  const Transition transition = liveness_.record(observation);
  if (transition.report_due) liveness_.attach_report(context->member.id, json::to_string(protocol::to_json(*heartbeat)));
  if (auto raised = transition_events(*context, transition, *heartbeat); !raised.empty()) {
    std::vector<store::MemberStateRecord> states;
    if (auto state = liveness_.state_of(context->member.id)) states.push_back(std::move(*state));
    (void)events_.record_with_states(std::move(raised), states);
  }

  protocol::HeartbeatResponse response;
  response.interval_ms = settings_.interval_ms;
  if (observer_ != nullptr) {
    response.probes = observer_->on_heartbeat({context->member.id, heartbeat->haproxy.state, source,
                                               std::move(heartbeat->probe_results)});
  }
  return response;
}

// Only a change of HAProxy state is written at once; member_online waits for the persister's batch (see
// CameOnline), unless this heartbeat also writes at once: then it goes into the same write.
std::vector<store::EventRecord> HeartbeatService::transition_events(const fleet::MemberContext& context,
                                                                    const Transition& transition,
                                                                    const protocol::Heartbeat& heartbeat) {
  std::vector<store::EventRecord> raised;  // nearly always empty: no allocation
  if (!transition.haproxy_changed) return raised;
  if (auto came = liveness_.take_came_online(context.member.id))
    raised.push_back(came_online_event(*came, context));
  raised.push_back(haproxy_changed_event(context, transition.previous_haproxy, heartbeat.haproxy.state));
  return raised;
}

}  // namespace balctl::liveness
