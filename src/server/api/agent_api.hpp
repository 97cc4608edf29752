// Agent-facing routes: enrolment (key in the body) and heartbeat (member secret as bearer token).
#pragma once

#include "server/fleet/enrolment.hpp"
#include "server/http/router.hpp"
#include "server/liveness/heartbeat_service.hpp"

namespace balctl::api {

struct AgentApi {
  fleet::EnrolmentService& enrolment;
  liveness::HeartbeatService& heartbeats;
};

void add_agent_routes(http::Router& router, const AgentApi& api);
void add_system_routes(http::Router& router);  // /healthz

}  // namespace balctl::api
