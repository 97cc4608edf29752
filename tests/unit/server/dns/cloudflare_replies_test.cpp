// Cloudflare reply parsing on fixtures in the shapes of the official OpenAPI schema (tests/fixtures/
// dns/cloudflare_*; test_dns_cloudflare.py checks them against the schema) and on hostile input, and the plan
// that turns a name's A records into exactly one.
#include "server/dns/cloudflare_replies.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

namespace balctl::dns::cloudflare {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BALCTL_DNS_FIXTURE_DIR) + "/cloudflare_" + name, std::ios::binary);
  if (!in) throw std::runtime_error("missing fixture " + name);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::vector<std::string> ids(const std::vector<Record>& records) {
  std::vector<std::string> out;
  for (const auto& record : records)
    out.push_back(record.id);
  return out;
}

Record record(std::string id, std::string content, std::int64_t ttl = 60, bool proxied = false) {
  return Record{std::move(id), std::move(content), ttl, proxied};
}

TEST(CloudflareReplies, ListFollowsTotalPages) {
  auto first = parse_list(fixture("list_page1_of_2.json"), 1);
  ASSERT_TRUE(first) << first.error().message;
  ASSERT_EQ(first->records.size(), 2u);
  EXPECT_EQ(first->records[0].content, "192.0.2.1");
  EXPECT_EQ(first->records[0].ttl, 60);
  EXPECT_FALSE(first->records[0].proxied);
  EXPECT_EQ(first->records[1].ttl, 1);
  EXPECT_TRUE(first->records[1].proxied);
  EXPECT_TRUE(first->more);
  auto second = parse_list(fixture("list_page2_of_2.json"), 2);
  ASSERT_TRUE(second);
  EXPECT_EQ(ids(second->records), std::vector<std::string>{"00000000000000000000000000000003"});
  EXPECT_FALSE(second->more);
}

TEST(CloudflareReplies, ListWithOnlyTheSchemaFieldsUsesTotalCount) {
  // The schema's result_info has page, per_page, count and total_count but no total_pages.
  auto page = parse_list(fixture("list_schema_info_only.json"), 1);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->more) << "5 records at 2 per page: 3 pages";
  auto last =
      parse_list(R"({"success":true,"errors":[],"messages":[],"result":[{"id":"a","content":"192.0.2.1"}],
                             "result_info":{"page":3,"per_page":2,"count":1,"total_count":5}})",
                 3);
  ASSERT_TRUE(last);
  EXPECT_FALSE(last->more);
  auto full =
      parse_list(R"({"success":true,"errors":[],"messages":[],"result":[{"id":"a","content":"192.0.2.1"}],
                             "result_info":{"page":1,"per_page":1,"count":1}})",
                 1);
  ASSERT_TRUE(full);
  EXPECT_TRUE(full->more) << "a full page without totals: ask for the next";
}

TEST(CloudflareReplies, EmptyListEndsPagination) {
  auto page = parse_list(fixture("list_empty.json"), 1);
  ASSERT_TRUE(page);
  EXPECT_TRUE(page->records.empty());
  EXPECT_FALSE(page->more);
  // An empty page ends the listing even if the totals promise more.
  auto lying = parse_list(R"({"success":true,"errors":[],"messages":[],"result":[],
                              "result_info":{"page":2,"per_page":100,"total_pages":9}})",
                          2);
  ASSERT_TRUE(lying);
  EXPECT_FALSE(lying->more);
}

TEST(CloudflareReplies, ListSkipsOtherTypesAndRefusesBrokenRecords) {
  auto page = parse_list(R"({"success":true,"errors":[],"messages":[],"result":[
      {"id":"a","type":"AAAA","content":"2001:db8::1"},{"id":"b","type":"A","content":"192.0.2.1"}]})",
                         1);
  ASSERT_TRUE(page);
  EXPECT_EQ(ids(page->records), std::vector<std::string>{"b"});
  EXPECT_FALSE(parse_list(R"({"success":true,"result":[{"content":"192.0.2.1"}]})", 1));
  EXPECT_FALSE(parse_list(R"({"success":true,"result":[{"id":"a","content":7}]})", 1));
  EXPECT_FALSE(parse_list(R"({"success":true,"result":{"id":"a"}})", 1));
  EXPECT_FALSE(parse_list("not json", 1));
  EXPECT_FALSE(parse_list("[]", 1));
}

TEST(CloudflareReplies, ListRefusalKeepsCloudflareWords) {
  auto refused = parse_list(fixture("error_authentication.json"), 1);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("10000 Authentication error"), std::string::npos)
      << refused.error().message;
}

TEST(CloudflareReplies, PatchReply) {
  auto patched = parse_record(fixture("record_patched.json"));
  ASSERT_TRUE(patched) << patched.error().message;
  EXPECT_EQ(patched->content, "192.0.2.9");
  auto duplicate = parse_record(fixture("error_identical_record.json"));
  ASSERT_FALSE(duplicate);
  EXPECT_NE(duplicate.error().message.find("81058 An identical record already exists."), std::string::npos);
  EXPECT_FALSE(parse_record(R"({"success":true})"));
}

TEST(CloudflareReplies, DeleteReplyWithoutSuccessIsSuccess) {
  EXPECT_TRUE(parse_delete(fixture("delete_schema_form.json")));
  EXPECT_TRUE(parse_delete(fixture("delete_envelope.json")));
  EXPECT_TRUE(parse_delete(""));
  EXPECT_TRUE(parse_delete("{}"));
  auto refused = parse_delete(fixture("error_identical_record.json"));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("81058"), std::string::npos);
}

TEST(CloudflareReplies, ErrorText) {
  EXPECT_EQ(error_text(fixture("error_authentication.json")), "10000 Authentication error");
  EXPECT_EQ(error_text(fixture("error_two_errors.json")),
            "9005 Content for A record is invalid.; 1004 DNS Validation Error");
  EXPECT_EQ(error_text(fixture("record_patched.json")), "");
  EXPECT_EQ(error_text("<html>bad gateway</html>"), "");
  const auto forged = error_text(R"({"errors":[{"code":1000,"message":"a\nlevel=ERROR forged"}]})");
  EXPECT_EQ(forged, "1000 a level=ERROR forged") << "no control characters reach a log line";
  const auto long_text =
      error_text(R"({"errors":[{"code":1000,"message":")" + std::string(5000, 'x') + R"("}]})");
  EXPECT_LE(long_text.size(), 303u);
}

TEST(CloudflarePlan, KeepsTheRecordThatAlreadyHoldsTheTarget) {
  // Overwriting the first record with the target would be refused with 81058 "An identical record
  // already exists": keep the one that holds it and delete the others.
  const auto change = plan_change(
      {record("a", "192.0.2.1"), record("b", "192.0.2.2"), record("c", "192.0.2.3")}, "192.0.2.2", 60, false);
  EXPECT_TRUE(change.patch_id.empty());
  EXPECT_FALSE(change.create);
  EXPECT_EQ(change.remove, (std::vector<std::string>{"a", "c"}));
}

TEST(CloudflarePlan, PatchesTheKeptRecordWhenItsTtlOrProxyDiffers) {
  EXPECT_EQ(
      plan_change({record("a", "192.0.2.1"), record("b", "192.0.2.2", 300)}, "192.0.2.2", 60, false).patch_id,
      "b");
  EXPECT_EQ(plan_change({record("b", "192.0.2.2", 1, false)}, "192.0.2.2", 1, true).patch_id, "b");
  EXPECT_TRUE(plan_change({record("b", "192.0.2.2", 60, false)}, "192.0.2.2", 60, false).patch_id.empty());
}

TEST(CloudflarePlan, PatchesTheFirstWhenNoneHoldsTheTarget) {
  const auto change =
      plan_change({record("a", "192.0.2.1"), record("b", "192.0.2.2")}, "192.0.2.9", 60, false);
  EXPECT_EQ(change.patch_id, "a");
  EXPECT_EQ(change.remove, std::vector<std::string>{"b"});
}

TEST(CloudflarePlan, DuplicatesOfTheTargetAreRemoved) {
  const auto change =
      plan_change({record("a", "192.0.2.9"), record("b", "192.0.2.9")}, "192.0.2.9", 60, false);
  EXPECT_TRUE(change.patch_id.empty());
  EXPECT_EQ(change.remove, std::vector<std::string>{"b"});
}

TEST(CloudflarePlan, ARecordListedTwiceIsNeverDeletedWhenKept) {
  // Found by fuzz_cloudflare_replies: the same id twice (pages shifted while they were read) made the
  // plan delete the record it kept.
  const auto kept = plan_change({record("a", "192.0.2.9"), record("b", "192.0.2.1"), record("a", "192.0.2.9"),
                                 record("b", "192.0.2.1")},
                                "192.0.2.9", 60, false);
  EXPECT_TRUE(kept.patch_id.empty());
  EXPECT_EQ(kept.remove, std::vector<std::string>{"b"});
  const auto patched =
      plan_change({record("a", "192.0.2.1"), record("a", "192.0.2.1")}, "192.0.2.9", 60, false);
  EXPECT_EQ(patched.patch_id, "a");
  EXPECT_TRUE(patched.remove.empty());
}

TEST(CloudflarePlan, CreatesWhenThereIsNone) {
  const auto change = plan_change({}, "192.0.2.9", 60, false);
  EXPECT_TRUE(change.create);
  EXPECT_TRUE(change.patch_id.empty());
  EXPECT_TRUE(change.remove.empty());
}

}  // namespace
}  // namespace balctl::dns::cloudflare
