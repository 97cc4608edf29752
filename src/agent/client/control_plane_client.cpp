#include "agent/client/control_plane_client.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "common/json.hpp"

namespace balctl::agent {
namespace {

std::chrono::milliseconds connect_timeout_for(std::chrono::milliseconds timeout) {
  return std::min(timeout, std::chrono::milliseconds(3000));
}

HttpClientOptions http_options(const ClientSettings& s) {
  HttpClientOptions options;
  options.ca_cert = s.ca_cert;
  options.pinned_key = s.pinned_key;
  options.insecure = s.insecure;
  options.bind_address = s.bind_address;
  options.connect_timeout = connect_timeout_for(s.timeout);
  options.timeout = s.timeout;
  options.abort = s.abort;
  return options;
}

Errc kind_for_status(long status) {
  switch (status) {
    case 400: return Errc::invalid_argument;
    case 401: return Errc::unauthorized;
    case 403: return Errc::forbidden;
    case 404: return Errc::not_found;
    case 409: return Errc::conflict;
    case 413: return Errc::too_large;
    default: return status >= 500 ? Errc::unavailable : Errc::internal;
  }
}

Error http_error(const HttpReply& reply) {
  boost::system::error_code ec;
  const auto parsed = boost::json::parse(reply.body, ec);
  Error error{kind_for_status(reply.status), "http_" + std::to_string(reply.status),
              "control plane answered HTTP " + std::to_string(reply.status), {}};
  if (!ec && parsed.is_object()) {
    if (const auto* body = parsed.as_object().if_contains("error"); body != nullptr && body->is_object()) {
      const auto& object = body->as_object();
      if (const auto* code = object.if_contains("code"); code != nullptr && code->is_string()) {
        error.code = std::string(code->as_string());
      }
      if (const auto* message = object.if_contains("message"); message != nullptr && message->is_string()) {
        error.message = std::string(message->as_string());
      }
    }
  }
  return error;
}

}  // namespace

ControlPlaneClient::ControlPlaneClient(ClientSettings settings)
    : settings_(std::move(settings)), http_(http_options(settings_)) {}

void ControlPlaneClient::set_timeout(std::chrono::milliseconds timeout) {
  if (timeout == settings_.timeout) return;
  settings_.timeout = timeout;
  http_.set_timeouts(connect_timeout_for(timeout), timeout);
}

Result<boost::json::object> ControlPlaneClient::post(const std::string& path, const boost::json::object& body,
                                                     const std::string& token) {
  auto reply = http_.request("POST", settings_.api_base + path, boost::json::serialize(body), token);
  if (!reply) return reply.error();
  if (reply->status != 200) return http_error(*reply);
  auto object = json::parse_object(reply->body);
  if (!object) return Error{Errc::unavailable, "bad_reply", "control plane sent a reply that is not JSON", {}};
  return object;
}

Result<protocol::EnrolResponse> ControlPlaneClient::enrol(const protocol::EnrolRequest& request) {
  auto reply = post("/api/v1/agent/enrol", protocol::to_json(request), {});
  if (!reply) return reply.error();
  return protocol::parse_enrol_response(*reply);
}

Result<protocol::HeartbeatResponse> ControlPlaneClient::heartbeat(const protocol::Heartbeat& heartbeat,
                                                                  const std::string& secret) {
  auto reply = post("/api/v1/agent/heartbeat", protocol::to_json(heartbeat), secret);
  if (!reply) return reply.error();
  return protocol::parse_heartbeat_response(*reply);
}

Result<std::string> ControlPlaneClient::fetch_text(const std::string& path) {
  auto reply = http_.request("GET", settings_.api_base + path);
  if (!reply) return reply.error();
  if (reply->status != 200) return http_error(*reply);
  return reply->body;
}

}  // namespace balctl::agent
