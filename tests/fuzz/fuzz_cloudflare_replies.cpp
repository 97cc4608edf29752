// Cloudflare API replies from a hostile or broken server (or a man in the middle of a plain-http test
// URL): the list, record, delete and error parsers, and the change plan built from what they return.
#include <cstddef>
#include <cstdint>
#include <set>

#include <boost/json/src.hpp>  // Boost.JSON compiled here, so the parser carries the fuzzer's coverage

#include "fuzz_check.hpp"
#include "server/dns/cloudflare_replies.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl::dns::cloudflare;
  const std::string_view body(reinterpret_cast<const char*>(data), size);

  const auto text = error_text(body);
  FUZZ_CHECK(text.size() <= 303);
  for (const char c : text)
    FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);

  (void)parse_record(body);
  (void)parse_delete(body);
  const auto page = parse_list(body, 1);
  if (!page) return 0;
  FUZZ_CHECK(!page->more || !page->records.empty());
  for (const auto& record : page->records)
    FUZZ_CHECK(!record.id.empty());

  // Whatever the list said, the plan leaves exactly one record, the kept (or created) one: every other
  // id is deleted once, the kept one never.
  const std::string target = page->records.empty() ? "192.0.2.1" : page->records.back().content;
  const auto change = plan_change(page->records, target, 60, false);
  std::set<std::string> ids;
  for (const auto& record : page->records)
    ids.insert(record.id);
  const std::set<std::string> removed(change.remove.begin(), change.remove.end());
  FUZZ_CHECK(removed.size() == change.remove.size());
  FUZZ_CHECK(change.create == ids.empty());
  if (change.create) return 0;
  FUZZ_CHECK(removed.size() + 1 == ids.size());
  std::string kept;
  for (const auto& id : ids) {
    if (removed.count(id) == 0) kept = id;
  }
  FUZZ_CHECK(change.patch_id.empty() || change.patch_id == kept);
  return 0;
}
