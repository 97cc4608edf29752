#include "server/liveness/liveness_events.hpp"

#include <string>
#include <utility>

#include "server/events/event_log.hpp"

namespace balctl::liveness {
namespace {

std::string agent_actor(const fleet::MemberContext& context) { return "agent:" + context.member.hostname; }

}  // namespace

store::EventRecord came_online_event(const CameOnline& came, const fleet::MemberContext& context) {
  const std::string message =
      came.first ? "first heartbeat (agent " + came.agent_version + ", HAProxy " +
                       std::string(protocol::to_string(came.haproxy)) + ")"
                 : "heartbeats resumed after " + std::to_string(came.silent_for_ms / 1000) + " s of silence";
  return {0, came.wall_ms, events::kind::kMemberOnline, context.pool.name, context.member.hostname,
          agent_actor(context), message};
}

store::EventRecord went_offline_event(const WentOffline& went, const fleet::MemberContext& context) {
  return {0, 0, events::kind::kMemberOffline, context.pool.name, context.member.hostname, "system",
          "no heartbeat for " + std::to_string(went.silent_for_ms / 1000) + " s (pool delay " +
              std::to_string(context.pool.delay_s) + " s)"};
}

store::EventRecord haproxy_changed_event(const fleet::MemberContext& context, protocol::HaproxyState from,
                                         protocol::HaproxyState to) {
  std::string message =
      "HAProxy " + std::string(protocol::to_string(from)) + " -> " + std::string(protocol::to_string(to));
  return {0, 0, events::kind::kHaproxyState, context.pool.name, context.member.hostname, agent_actor(context),
          std::move(message)};
}

}  // namespace balctl::liveness
