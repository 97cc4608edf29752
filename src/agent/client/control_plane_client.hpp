// The agent's side of the protocol: enrol and heartbeat over one keep-alive HTTPS connection (libcurl).
#pragma once

#include <atomic>
#include <string>

#include "common/http_client.hpp"
#include "common/protocol.hpp"
#include "common/result.hpp"

namespace balctl::agent {

struct ClientSettings {
  std::string api_base;
  std::string ca_cert;
  std::string pinned_key;
  bool insecure = false;
  std::string bind_address;
  std::chrono::milliseconds timeout{5000};
  const std::atomic<bool>* abort = nullptr;
};

class ControlPlaneClient {
 public:
  explicit ControlPlaneClient(ClientSettings settings);

  Result<protocol::EnrolResponse> enrol(const protocol::EnrolRequest& request);
  Result<protocol::HeartbeatResponse> heartbeat(const protocol::Heartbeat& heartbeat, const std::string& secret);
  // GET of a small text resource (the server's certificate during enrolment).
  Result<std::string> fetch_text(const std::string& path);

  // Later requests give up after `timeout` (the heartbeat loop keeps it at about one interval).
  void set_timeout(std::chrono::milliseconds timeout);
  // The next request opens a new TCP+TLS connection rather than reusing the kept-alive one.
  void use_fresh_connection() { http_.use_fresh_connection(); }

  const ClientSettings& settings() const { return settings_; }

 private:
  // Transport errors keep their code (unreachable, tls_error); HTTP errors carry the server's code and
  // message with the kind mapped from the status.
  Result<boost::json::object> post(const std::string& path, const boost::json::object& body, const std::string& token);

  ClientSettings settings_;
  HttpClient http_;
};

}  // namespace balctl::agent
