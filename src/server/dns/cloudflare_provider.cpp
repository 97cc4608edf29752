#include "server/dns/cloudflare_provider.hpp"

#include <boost/json/serialize.hpp>

#include <algorithm>

namespace balctl::dns {
namespace {

constexpr std::int64_t kMinTtl = 60;

// Cloudflare wraps every reply in {success, errors: [{code, message}], result}.
std::string api_errors(const ApiReply& reply) {
  std::string out;
  if (reply.body.is_object()) {
    if (const auto* errors = reply.body.as_object().if_contains("errors"); errors != nullptr && errors->is_array()) {
      for (const auto& error : errors->as_array()) {
        if (!error.is_object()) continue;
        if (!out.empty()) out += "; ";
        const auto* code = error.as_object().if_contains("code");
        const auto* message = error.as_object().if_contains("message");
        if (code != nullptr) out += std::to_string(code->to_number<std::int64_t>()) + " ";
        if (message != nullptr && message->is_string()) out += std::string(message->as_string());
      }
    }
  }
  return out.empty() ? "HTTP " + std::to_string(reply.status) : out;
}

bool succeeded(const ApiReply& reply) {
  if (reply.status < 200 || reply.status >= 300 || !reply.body.is_object()) return false;
  const auto* success = reply.body.as_object().if_contains("success");
  return success != nullptr && success->is_bool() && success->as_bool();
}

Error refused(const std::string& what, const ApiReply& reply) {
  if (reply.status == 404) return Error{Errc::not_found, "dns_notzone", what + ": " + api_errors(reply), {}};
  return Error{Errc::invalid_argument, "dns_error", what + ": " + api_errors(reply), {}};
}

}  // namespace

CloudflareProvider::CloudflareProvider(CloudflareConfig config)
    : config_(std::move(config)), api_("Cloudflare API", {"Authorization: Bearer " + config_.api_token}) {}

std::int64_t CloudflareProvider::cloudflare_ttl(std::int64_t ttl, bool proxied) {
  if (proxied) return 1;
  return std::max(ttl, kMinTtl);
}

std::string CloudflareProvider::records_url() const {
  return config_.api_url + "/zones/" + config_.zone_id + "/dns_records";
}

Result<std::vector<CloudflareProvider::Record>> CloudflareProvider::records(const std::string& fqdn) {
  auto reply = api_.call("GET", records_url() + "?type=A&name=" + percent_encode(fqdn) + "&per_page=100");
  if (!reply) return reply.error();
  if (!succeeded(*reply)) return refused("Cloudflare refused to list records", *reply);
  std::vector<Record> out;
  const auto* result = reply->body.as_object().if_contains("result");
  if (result == nullptr || !result->is_array()) return out;
  for (const auto& item : result->as_array()) {
    const auto& record = item.as_object();
    out.push_back({std::string(record.at("id").as_string()), std::string(record.at("content").as_string())});
  }
  return out;
}

Result<std::vector<std::string>> CloudflareProvider::get_a_records(const std::string& fqdn) {
  auto existing = records(fqdn);
  if (!existing) return existing.error();
  std::vector<std::string> addresses;
  for (const auto& record : *existing) addresses.push_back(record.content);
  std::sort(addresses.begin(), addresses.end());
  return addresses;
}

Status CloudflareProvider::set_a_record(const std::string& fqdn, const std::string& ipv4, std::int64_t ttl) {
  auto existing = records(fqdn);
  if (!existing) return existing.error();
  const boost::json::object body{{"type", "A"},
                                 {"name", fqdn},
                                 {"content", ipv4},
                                 {"ttl", cloudflare_ttl(ttl, config_.proxied)},
                                 {"proxied", config_.proxied}};
  const std::string text = boost::json::serialize(body);
  auto reply = existing->empty() ? api_.call("POST", records_url(), text)
                                 : api_.call("PUT", records_url() + "/" + existing->front().id, text);
  if (!reply) return reply.error();
  if (!succeeded(*reply)) return refused("Cloudflare refused the change", *reply);
  // The name must answer with the new address only: remove any other A records.
  for (std::size_t i = 1; i < existing->size(); ++i) {
    auto removed = api_.call("DELETE", records_url() + "/" + (*existing)[i].id);
    if (!removed) return removed.error();
    if (!succeeded(*removed)) return refused("Cloudflare refused to delete an old record", *removed);
  }
  return {};
}

}  // namespace balctl::dns
