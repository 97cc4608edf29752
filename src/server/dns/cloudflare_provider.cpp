#include "server/dns/cloudflare_provider.hpp"

#include <algorithm>
#include <set>

#include <boost/json/serialize.hpp>

namespace balctl::dns {
namespace {

constexpr std::int64_t kMinTtl = 60;
constexpr int kPerPage = 100;
constexpr std::chrono::seconds kMaxRetryAfter{60};

ProviderApiOptions api_options() {
  ProviderApiOptions options;
  options.error_text = [](std::string_view body) { return cloudflare::error_text(body); };
  options.max_retry_after = kMaxRetryAfter;
  return options;
}

// A non-2xx reply that ProviderApi did not map: Cloudflare's own words, 404 as a missing zone.
Error refused(const std::string& what, const ApiReply& reply) {
  std::string text = cloudflare::error_text(reply.text);
  text = "HTTP " + std::to_string(reply.status) + (text.empty() ? "" : ": " + text);
  // 81044 "Record does not exist": someone removed it after we listed; the next attempt reads again.
  if (reply.status == 404 && text.find(": 81044") != std::string::npos) {
    return Error{Errc::unavailable, "dns_prerequisite", what + " (" + text + ")", {}};
  }
  if (reply.status == 404) return Error{Errc::not_found, "dns_notzone", what + " (" + text + ")", {}};
  return Error{Errc::invalid_argument, "dns_error", what + " (" + text + ")", {}};
}

bool ok_status(const ApiReply& reply) {
  return reply.status >= 200 && reply.status < 300;
}

// A refusal inside a 2xx reply ({success: false}) keeps the parse error's words, prefixed with `what`.
Error with_context(const std::string& what, Error error) {
  error.message = what + ": " + error.message;
  return error;
}

}  // namespace

CloudflareProvider::CloudflareProvider(CloudflareConfig config)
    : config_(std::move(config)),
      api_("Cloudflare API", {"Authorization: Bearer " + config_.api_token}, api_options()) {}

std::int64_t CloudflareProvider::cloudflare_ttl(std::int64_t ttl, bool proxied) {
  if (proxied) return 1;
  return std::max(ttl, kMinTtl);
}

std::string CloudflareProvider::records_url() const {
  return config_.api_url + "/zones/" + config_.zone_id + "/dns_records";
}

Result<std::vector<cloudflare::Record>> CloudflareProvider::records(const std::string& fqdn) {
  std::vector<cloudflare::Record> out;
  std::set<std::string> seen;
  for (int page = 1; page <= kMaxPages; ++page) {
    auto reply = api_.call("GET", records_url() + "?name=" + percent_encode(fqdn) + "&type=A&page=" +
                                      std::to_string(page) + "&per_page=" + std::to_string(kPerPage));
    if (!reply) return reply.error();
    if (!ok_status(*reply)) return refused("Cloudflare refused to list the records of " + fqdn, *reply);
    auto parsed = cloudflare::parse_list(reply->text, page);
    if (!parsed) return with_context("listing the records of " + fqdn, parsed.error());
    for (auto& record : parsed->records)
      out.push_back(std::move(record));
    if (!parsed->more) return out;
  }
  return Error{Errc::invalid_argument,
               "dns_error",
               fqdn + " has more than " + std::to_string(kMaxPages * kPerPage) +
                   " A records at Cloudflare; balctl manages a name with one",
               {}};
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
  const std::int64_t sent_ttl = cloudflare_ttl(ttl, config_.proxied);
  const auto change = cloudflare::plan_change(*existing, ipv4, sent_ttl, config_.proxied);
  // Only the fields balctl owns: PATCH leaves the record's comment and tags as they are.
  const std::string body = boost::json::serialize(boost::json::object{
      {"type", "A"}, {"name", fqdn}, {"content", ipv4}, {"ttl", sent_ttl}, {"proxied", config_.proxied}});
  if (change.create || !change.patch_id.empty()) {
    auto reply = change.create ? api_.call("POST", records_url(), body)
                               : api_.call("PATCH", records_url() + "/" + change.patch_id, body);
    if (!reply) return reply.error();
    if (!ok_status(*reply)) return refused("Cloudflare refused the change of " + fqdn, *reply);
    if (auto record = cloudflare::parse_record(reply->text); !record) {
      return with_context("changing " + fqdn, record.error());
    }
  }
  // The name must answer with the new address only: remove the other A records. The schema requires a
  // JSON body on DELETE.
  for (const auto& id : change.remove) {
    auto removed = api_.call("DELETE", records_url() + "/" + id, "{}");
    if (!removed) return removed.error();
    // 81044 "Record does not exist": someone else removed it since we listed, which is what we wanted.
    const bool gone = removed->status == 404 && cloudflare::error_text(removed->text).rfind("81044", 0) == 0;
    if (gone) continue;
    if (!ok_status(*removed))
      return refused("Cloudflare refused to delete an old record of " + fqdn, *removed);
    if (auto status = cloudflare::parse_delete(removed->text); !status) {
      return with_context("deleting an old record of " + fqdn, status.error());
    }
  }
  return {};
}

}  // namespace balctl::dns
