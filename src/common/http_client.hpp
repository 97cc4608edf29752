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

  // Any HTTP status is a reply; only transport failures (DNS, connect, TLS, timeout) are errors, with
  // code "unreachable" or "tls_error" and curl's reason in the message.
  Result<HttpReply> request(std::string_view method, const std::string& url, std::string_view body = {},
                            std::string_view bearer_token = {});
  // The same with arbitrary extra header lines ("X-API-Key: ..."); the body, if any, is sent as
  // `content_type` (GET never sends one, DELETE only when it is not empty).
  Result<HttpReply> request_with_headers(std::string_view method, const std::string& url, std::string_view body,
                                         const std::vector<std::string>& headers,
                                         std::string_view content_type = "application/json");

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace balctl
