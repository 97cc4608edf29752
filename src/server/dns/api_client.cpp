#include "server/dns/api_client.hpp"

#include <thread>

#include <boost/json/parse.hpp>
#include <spdlog/spdlog.h>

namespace balctl::dns {
namespace {

HttpClientOptions options() {
  HttpClientOptions o;
  o.connect_timeout = std::chrono::milliseconds(3000);
  o.timeout = std::chrono::milliseconds(10'000);
  return o;
}

}  // namespace

ProviderApi::ProviderApi(std::string provider, std::vector<std::string> auth_headers,
                         ProviderApiOptions options)
    : provider_(std::move(provider)),
      auth_headers_(std::move(auth_headers)),
      options_(std::move(options)),
      http_(dns::options()) {}

std::string ProviderApi::reason(const HttpReply& reply) const {
  const std::string text = options_.error_text ? options_.error_text(reply.body) : std::string();
  return "HTTP " + std::to_string(reply.status) + (text.empty() ? "" : ": " + text);
}

Result<ApiReply> ProviderApi::call(std::string_view method, const std::string& url, std::string_view body,
                                   std::string_view content_type) {
  long waited_s = 0;
  while (true) {
    auto reply = http_.request_with_headers(method, url, body, auth_headers_, content_type);
    if (!reply) {
      return Error{Errc::unavailable,
                   "dns_unreachable",
                   "cannot reach the " + provider_ + ": " + reply.error().message,
                   {}};
    }
    if (reply->status == 401 || reply->status == 403) {
      return Error{Errc::forbidden,
                   "dns_auth",
                   "the " + provider_ + " refused our credentials (" + reason(*reply) + ")",
                   {}};
    }
    if (reply->status == 429) {
      const long wait = reply->retry_after_s;
      if (wait > 0 && waited_s + wait <= options_.max_retry_after.count()) {
        // A short pause costs less than failing the change and waiting out the failover backoff. The
        // total is bounded: the worker (and a shutdown waiting for it) is held at most that long.
        spdlog::warn("dns_rate_limited provider=\"{}\" retry_after_s={} action=wait", provider_, wait);
        std::this_thread::sleep_for(std::chrono::seconds(wait));
        waited_s += wait;
        continue;
      }
      std::string message = "the " + provider_ + " is rate limiting us (" + reason(*reply) + ")";
      if (wait > 0) {
        message +=
            ": rate limited for " + std::to_string(wait) + " s" +
            (wait > options_.max_retry_after.count()
                 ? ", longer than the " + std::to_string(options_.max_retry_after.count()) + " s balctl waits"
                 : " again after waiting " + std::to_string(waited_s) + " s");
      }
      return Error{Errc::unavailable, "dns_rate_limited", message, {}};
    }
    if (reply->status >= 500) {
      return Error{
          Errc::unavailable, "dns_servfail", "the " + provider_ + " failed (" + reason(*reply) + ")", {}};
    }
    ApiReply out;
    out.status = reply->status;
    boost::system::error_code ec;
    auto parsed = boost::json::parse(reply->body, ec);
    if (!ec) out.body = std::move(parsed);
    out.text = std::move(reply->body);
    return out;
  }
}

}  // namespace balctl::dns
