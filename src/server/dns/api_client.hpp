// JSON over HTTPS for the API-based providers: one call, its status and parsed body, with transport
// failures, auth refusals and rate limits mapped to the provider error codes of dns_provider.hpp.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/value.hpp>

#include "common/http_client.hpp"
#include "common/result.hpp"

namespace balctl::dns {

struct ApiReply {
  long status = 0;
  boost::json::value body;  // null when the body is empty or not JSON
  std::string text;         // the body as received
};

struct ProviderApiOptions {
  // The provider's own words from an error reply ("10000 Authentication error"), kept in auth and
  // rate-limit errors so the user sees why; empty when the body says nothing.
  std::function<std::string(std::string_view body)> error_text;
  // A 429 whose Retry-After fits in this budget (for all the waits of one call together) is waited out
  // and the call repeated; a longer one fails at once saying how long. Zero: never wait.
  std::chrono::seconds max_retry_after{0};
};

class ProviderApi {
 public:
  // `provider` names the service in error messages ("PowerDNS API", "Cloudflare API", ...).
  ProviderApi(std::string provider, std::vector<std::string> auth_headers, ProviderApiOptions options = {});

  // Errors: dns_unreachable (transport), dns_auth (401/403), dns_rate_limited (429), dns_servfail (5xx).
  // Other statuses come back as replies for the provider to interpret.
  Result<ApiReply> call(std::string_view method, const std::string& url, std::string_view body = {},
                        std::string_view content_type = "application/json");

 private:
  std::string reason(const HttpReply& reply) const;

  std::string provider_;
  std::vector<std::string> auth_headers_;
  ProviderApiOptions options_;
  HttpClient http_;
};

}  // namespace balctl::dns
