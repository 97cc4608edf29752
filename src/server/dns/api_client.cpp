#include "server/dns/api_client.hpp"

#include <boost/json/parse.hpp>

namespace balctl::dns {
namespace {

HttpClientOptions options() {
  HttpClientOptions o;
  o.connect_timeout = std::chrono::milliseconds(3000);
  o.timeout = std::chrono::milliseconds(10'000);
  return o;
}

}  // namespace

ProviderApi::ProviderApi(std::string provider, std::vector<std::string> auth_headers)
    : provider_(std::move(provider)), auth_headers_(std::move(auth_headers)), http_(options()) {}

Result<ApiReply> ProviderApi::call(std::string_view method, const std::string& url, std::string_view body,
                                   std::string_view content_type) {
  auto reply = http_.request_with_headers(method, url, body, auth_headers_, content_type);
  if (!reply) {
    return Error{Errc::unavailable, "dns_unreachable", "cannot reach the " + provider_ + ": " + reply.error().message,
                 {}};
  }
  ApiReply out;
  out.status = reply->status;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(reply->body, ec);
  if (!ec) out.body = std::move(parsed);
  if (out.status == 401 || out.status == 403) {
    return Error{Errc::forbidden, "dns_auth",
                 "the " + provider_ + " refused our credentials (HTTP " + std::to_string(out.status) + ")", {}};
  }
  if (out.status == 429) {
    return Error{Errc::unavailable, "dns_rate_limited", "the " + provider_ + " is rate limiting us (HTTP 429)", {}};
  }
  if (out.status >= 500) {
    return Error{Errc::unavailable, "dns_servfail",
                 "the " + provider_ + " failed (HTTP " + std::to_string(out.status) + ")", {}};
  }
  return out;
}


}  // namespace balctl::dns
