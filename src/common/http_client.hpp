// A small blocking HTTPS client over libcurl, shared by the CLI and the agent. One instance keeps one
// keep-alive connection; it is not thread-safe.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace balctl {

struct HttpClientOptions {
  std::string ca_cert;        // PEM file of a CA or of the server's own self-signed certificate
  std::string pinned_key;     // "sha256//BASE64": accept exactly this server key (self-signed servers)
  bool insecure = false;      // skip certificate verification entirely (testing only)
  std::string bind_address;   // source address for outbound connections
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30'000};
  // When set, a transfer in progress is aborted soon after this becomes true (clean shutdown).
  const std::atomic<bool>* abort = nullptr;
};

// Percent-encodes all but RFC 3986 unreserved characters: safe as a path segment or a query value.
std::string percent_encode(std::string_view text);

struct HttpReply {
  long status = 0;
  std::string body;
  long retry_after_s = 0;  // the reply's Retry-After (seconds or an HTTP date), 0 when absent
};

class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Any HTTP status is a reply; only transport failures are errors, with code "unreachable" (DNS,
  // connect), "timeout" (no complete reply within the timeout), or "tls_error", and curl's reason.
  Result<HttpReply> request(std::string_view method, const std::string& url, std::string_view body = {},
                            std::string_view bearer_token = {});
  // The same with arbitrary extra header lines ("X-API-Key: ..."); the body, if any, is sent as
  // `content_type` (GET never sends one, DELETE only when it is not empty).
  Result<HttpReply> request_with_headers(std::string_view method, const std::string& url, std::string_view body,
                                         const std::vector<std::string>& headers,
                                         std::string_view content_type = "application/json");

  // Changes the timeouts of later requests (the agent's follow the heartbeat interval).
  void set_timeouts(std::chrono::milliseconds connect_timeout, std::chrono::milliseconds timeout);
  // The next request opens a new connection instead of reusing the kept-alive one (which may be the one
  // that just stalled: a lost packet on it costs a retransmission timeout, a new handshake does not).
  void use_fresh_connection();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace balctl
