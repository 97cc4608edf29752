// Cloudflare API v4 DNS-record replies, read as the official OpenAPI schema describes them
// (../shared/specs/cloudflare-dns-records.openapi.json), and the plan that turns the A records of a name
// into exactly one record with the target address. Pure functions over the reply text: unit-tested
// with fixtures in the schema's shapes and fuzzed (tests/fuzz/fuzz_cloudflare_replies.cpp).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace balctl::dns::cloudflare {

struct Record {
  std::string id;
  std::string content;
  std::int64_t ttl = 1;  // 1 = "automatic"
  bool proxied = false;
};

struct ListPage {
  std::vector<Record> records;  // the A records of this page
  bool more = false;            // result_info says another page follows
};

// GET /zones/{zone_id}/dns_records: {success: true, result: [record...], result_info: {page, per_page,
// count, total_count[, total_pages]}}. `page` is the page that was asked for.
Result<ListPage> parse_list(std::string_view body, int page);
// POST / PATCH replies: {success: true, result: record}.
Result<Record> parse_record(std::string_view body);
// DELETE replies on 2xx: the schema's form is {"result": {"id": ...}} without `success`; only an explicit
// `success: false` is a refusal.
Status parse_delete(std::string_view body);
// Cloudflare's own error text, "81058 An identical record already exists." (several joined by "; "),
// control characters removed and at most 300 bytes; empty when the body carries none.
std::string error_text(std::string_view body);

// What to send so that the name has exactly one A record, `ipv4`: a record that already holds the target
// is kept (PATCHed only when its TTL or proxied flag differ) and the others deleted: overwriting another
// record with the target would be refused as a duplicate (code 81058). Otherwise the first record is
// PATCHed and the rest deleted, or one is created when there is none. A record listed twice is deleted
// at most once, and never the one kept.
struct Change {
  std::string patch_id;             // the record to PATCH; empty: none
  bool create = false;              // no record to reuse: POST one
  std::vector<std::string> remove;  // DELETE these
};
Change plan_change(const std::vector<Record>& existing, std::string_view ipv4, std::int64_t ttl,
                   bool proxied);

}  // namespace balctl::dns::cloudflare
