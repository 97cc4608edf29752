// Agent-facing routes: enrolment (key in the body) and heartbeat (member secret as bearer token).
#pragma once

#include <memory>
#include <string>

#include "server/api/agent_binary.hpp"
#include "server/inventory/enrolment.hpp"
#include "server/http/router.hpp"
#include "server/liveness/heartbeat_service.hpp"

namespace balctl::api {

struct AgentApi {
  inventory::EnrolmentService& enrolment;
  liveness::HeartbeatService& heartbeats;
  // PEM of the self-signed certificate, served at /api/v1/agent/ca.pem so an agent that enrolled with a
  // pinned key can verify the server normally afterwards; empty when the server has a CA-issued one.
  std::string self_signed_certificate;
  std::shared_ptr<AgentBinary> agent_binary;  // served at /api/v1/agent/download
};

void add_agent_routes(http::Router& router, const AgentApi& api);
void add_system_routes(http::Router& router);  // /healthz

}  // namespace balctl::api
