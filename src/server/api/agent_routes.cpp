#include "common/protocol.hpp"
#include "common/version.hpp"
#include "server/api/agent_assets.hpp"
#include "server/api/agent_api.hpp"
#include "server/api/handler_support.hpp"
#include "server/http/api_error.hpp"

namespace balctl::api {

using http::Method;
using http::PathParams;
using http::Request;
using http::unwrap;

void add_agent_routes(http::Router& router, const AgentApi& api) {
  router.add(Method::post, "/api/v1/agent/enrol", [api](const Request& request, const PathParams&) {
    const auto enrol = unwrap(protocol::parse_enrol_request(body_object(request)));
    return reply(200, protocol::to_json(unwrap(api.enrolment.enrol(enrol, request.remote_address))));
  });

  router.add(Method::get, "/api/v1/agent/ca.pem", [api](const Request&, const PathParams&) {
    if (api.self_signed_certificate.empty()) {
      throw http::ApiError(404, "not_found", "this server uses a CA-issued certificate; trust that CA instead");
    }
    http::Response response;
    response.content_type = "application/x-pem-file";
    response.body = api.self_signed_certificate;
    return response;
  });

  router.add(Method::get, "/api/v1/agent/install.sh", [](const Request&, const PathParams&) {
    http::Response response;
    response.content_type = "text/x-shellscript; charset=utf-8";
    response.body = std::string(install_script());
    return response;
  });

  router.add(Method::get, "/api/v1/agent/balctl-heartbeat.service", [](const Request&, const PathParams&) {
    http::Response response;
    response.content_type = "text/plain; charset=utf-8";
    response.body = std::string(heartbeat_unit());
    return response;
  });

  router.add(Method::get, "/api/v1/agent/download", [api](const Request&, const PathParams&) {
    auto slot = api.agent_binary->try_start_download();
    if (!slot) {
      auto busy = http::error_response(503, "too_many_downloads",
                                       std::to_string(api.agent_binary->max_downloads()) +
                                           " agent downloads are in progress; retry in a few seconds");
      busy.headers.emplace_back("Retry-After", "5");
      return busy;
    }
    auto binary = api.agent_binary->contents();
    if (!binary) {
      throw http::ApiError(404, "agent_not_available",
                           "no agent binary at " + api.agent_binary->path().string() +
                               " on this control plane; build balctl-agent or start with --agent-binary");
    }
    http::Response response;
    response.content_type = "application/octet-stream";
    response.headers.emplace_back("Content-Disposition", "attachment; filename=balctl-agent");
    response.headers.emplace_back("X-Balctl-Version", kVersion);
    response.shared_body = std::move(*binary);
    response.hold_until_written = std::move(slot);
    return response;
  });

  router.add(Method::post, "/api/v1/agent/heartbeat", [api](const Request& request, const PathParams&) {
    return reply(200, protocol::to_json(
                          unwrap(api.heartbeats.handle(request.bearer_token(), request.remote_address, request.body))));
  });
}

void add_system_routes(http::Router& router) {
  router.add(Method::get, "/healthz", [](const Request&, const PathParams&) { return reply(200, {{"status", "ok"}}); });
}

}  // namespace balctl::api
