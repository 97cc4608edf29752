#include "server/dns/cloudflare_replies.hpp"

#include <cmath>
#include <optional>
#include <set>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

namespace balctl::dns::cloudflare {
namespace {

constexpr std::size_t kMaxErrorText = 300;

Error malformed(std::string what) {
  return Error{Errc::unavailable, "dns_error", "Cloudflare sent an unreadable reply: " + std::move(what), {}};
}

std::optional<boost::json::object> parse_object(std::string_view body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return std::nullopt;
  return std::move(value.as_object());
}

// The schema types counters as "number": integers or not, within a sane range.
std::optional<std::int64_t> integer(const boost::json::object& object, std::string_view key) {
  const auto* value = object.if_contains(key);
  if (value == nullptr) return std::nullopt;
  if (value->is_int64()) return value->as_int64();
  if (value->is_uint64() && value->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    return static_cast<std::int64_t>(value->as_uint64());
  }
  if (value->is_double() && std::isfinite(value->as_double()) && std::fabs(value->as_double()) < 9e15) {
    return static_cast<std::int64_t>(value->as_double());
  }
  return std::nullopt;
}

// `success` as the reply states it: true, false, or absent / not a boolean.
std::optional<bool> success(const boost::json::object& reply) {
  const auto* value = reply.if_contains("success");
  if (value == nullptr || !value->is_bool()) return std::nullopt;
  return value->as_bool();
}

Error refusal(std::string_view body) {
  const std::string text = error_text(body);
  return Error{Errc::invalid_argument,
               "dns_error",
               "Cloudflare refused: " + (text.empty() ? "no reason given" : text),
               {}};
}

Result<Record> record_from(const boost::json::value& value) {
  if (!value.is_object()) return malformed("a record is not an object");
  const auto& object = value.as_object();
  const auto* id = object.if_contains("id");
  const auto* content = object.if_contains("content");
  if (id == nullptr || !id->is_string() || id->as_string().empty()) return malformed("a record has no id");
  if (content == nullptr || !content->is_string()) return malformed("a record has no content");
  Record out{std::string(id->as_string()), std::string(content->as_string())};
  out.ttl = integer(object, "ttl").value_or(1);
  if (const auto* proxied = object.if_contains("proxied"); proxied != nullptr && proxied->is_bool()) {
    out.proxied = proxied->as_bool();
  }
  return out;
}

bool is_a_record(const boost::json::object& record) {
  const auto* type = record.if_contains("type");
  return type == nullptr || (type->is_string() && type->as_string() == "A");
}

}  // namespace

std::string error_text(std::string_view body) {
  const auto reply = parse_object(body);
  if (!reply) return {};
  const auto* errors = reply->if_contains("errors");
  if (errors == nullptr || !errors->is_array()) return {};
  std::string out;
  for (const auto& error : errors->as_array()) {
    if (!error.is_object()) continue;
    std::string one;
    if (const auto code = integer(error.as_object(), "code")) one = std::to_string(*code);
    if (const auto* message = error.as_object().if_contains("message");
        message != nullptr && message->is_string()) {
      one += (one.empty() ? "" : " ") + std::string(message->as_string());
    }
    if (one.empty()) continue;
    out += (out.empty() ? "" : "; ") + one;
    if (out.size() >= kMaxErrorText) break;
  }
  // The text ends up in events and log lines: no control characters, bounded.
  for (auto& c : out) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) c = ' ';
  }
  if (out.size() > kMaxErrorText) {
    out.resize(kMaxErrorText);
    while (!out.empty() && (static_cast<unsigned char>(out.back()) & 0xC0) == 0x80)
      out.pop_back();  // whole UTF-8
    if (!out.empty() && static_cast<unsigned char>(out.back()) >= 0xC0) out.pop_back();
    out += "...";
  }
  return out;
}

Result<ListPage> parse_list(std::string_view body, int page) {
  const auto reply = parse_object(body);
  if (!reply) return malformed("the record list is not a JSON object");
  if (success(*reply) != true) return refusal(body);
  const auto* result = reply->if_contains("result");
  if (result == nullptr || result->is_null()) return ListPage{};
  if (!result->is_array()) return malformed("the record list's result is not an array");
  ListPage out;
  for (const auto& item : result->as_array()) {
    if (item.is_object() && !is_a_record(item.as_object())) continue;
    auto record = record_from(item);
    if (!record) return record.error();
    out.records.push_back(std::move(*record));
  }
  const auto* info_value = reply->if_contains("result_info");
  if (out.records.empty() || info_value == nullptr || !info_value->is_object()) return out;
  // Real replies carry total_pages; the schema lists only page, per_page, count and total_count.
  const auto& info = info_value->as_object();
  const std::int64_t current = integer(info, "page").value_or(page);
  const auto per_page = integer(info, "per_page");
  if (const auto pages = integer(info, "total_pages")) {
    out.more = current < *pages;
  } else if (const auto total = integer(info, "total_count"); total && per_page && *per_page > 0) {
    out.more = current < (*total + *per_page - 1) / *per_page;
  } else if (per_page && *per_page > 0) {
    out.more = integer(info, "count").value_or(static_cast<std::int64_t>(out.records.size())) >= *per_page;
  }
  return out;
}

Result<Record> parse_record(std::string_view body) {
  const auto reply = parse_object(body);
  if (!reply) return malformed("the record reply is not a JSON object");
  if (success(*reply) != true) return refusal(body);
  const auto* result = reply->if_contains("result");
  if (result == nullptr) return malformed("the record reply has no result");
  return record_from(*result);
}

Status parse_delete(std::string_view body) {
  const auto reply = parse_object(body);
  if (!reply) return {};  // a 2xx with an empty or non-JSON body still deleted the record
  if (success(*reply) == false) return refusal(body);
  return {};
}

Change plan_change(const std::vector<Record>& existing, std::string_view ipv4, std::int64_t ttl,
                   bool proxied) {
  Change out;
  const Record* keep = nullptr;
  for (const auto& record : existing) {
    if (record.content == ipv4) {
      keep = &record;
      break;
    }
  }
  if (keep != nullptr) {
    if (keep->ttl != ttl || keep->proxied != proxied) out.patch_id = keep->id;
  } else if (!existing.empty()) {
    keep = &existing.front();
    out.patch_id = keep->id;
  } else {
    out.create = true;
    return out;
  }
  // The same record can be listed twice (a record added while the pages were read shifts the next page):
  // never delete the kept one, nor any record twice.
  std::set<std::string_view> removed;
  for (const auto& record : existing) {
    if (record.id != keep->id && removed.insert(record.id).second) out.remove.push_back(record.id);
  }
  return out;
}

}  // namespace balctl::dns::cloudflare
