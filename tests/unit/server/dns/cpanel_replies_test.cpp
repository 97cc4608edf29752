// cPanel reply parsing on fixtures in the shapes the real servers send (tests/fixtures/dns, written by
// make_cpanel_fixtures.py) and on hand-made broken replies.
#include "server/dns/cpanel_replies.hpp"

#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "common/crypto.hpp"

namespace balctl::dns {
namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(BALCTL_DNS_FIXTURE_DIR) + "/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> a_of(const CpanelZone& zone, const std::string& name) {
  std::vector<std::string> out;
  for (const auto& record : zone.records) {
    if (record.type == "A" && record.name == name) out.push_back(record.data.at(0));
  }
  return out;
}

std::string b64(std::string_view text) {
  return crypto::base64(text);
}

void expect_realistic_zone(const Result<CpanelZone>& zone) {
  ASSERT_TRUE(zone.ok()) << zone.error().message;
  EXPECT_EQ(zone->serial.value_or(0), 2026112501u);
  // Relative "lb", absolute upper-case "LB.Example.Test." and the blank-owner line after lb's TXT; not
  // the commented-out line, not lb2.
  EXPECT_EQ(a_of(*zone, "lb.example.test"),
            (std::vector<std::string>{"192.0.2.20", "192.0.2.21", "192.0.2.22"}));
  EXPECT_EQ(a_of(*zone, "example.test"), std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(a_of(*zone, "lb2.example.test"), std::vector<std::string>{"192.0.2.30"});
  ASSERT_EQ(zone->records.size(), 12u) << "comment and control lines are not records";
  EXPECT_EQ(zone->records.front().type, "SOA");
  EXPECT_EQ(zone->records.front().data.size(), 7u);
  EXPECT_EQ(zone->records.back().name, "example.test") << "@ is the zone";
  EXPECT_EQ(zone->records.back().data, (std::vector<std::string>{"10", "mail.example.test."}));
  for (const auto& record : zone->records) {
    if (record.type == "A" && record.name == "lb.example.test") EXPECT_EQ(record.ttl, 30);
  }
}

TEST(CpanelReplies, UapiFlatParseZone) {
  expect_realistic_zone(
      parse_zone_reply(fixture("cpanel_uapi_parse_zone.json"), CpanelApi::uapi, "example.test"));
}

TEST(CpanelReplies, UapiCommandLineFormIsAcceptedToo) {
  expect_realistic_zone(
      parse_zone_reply(fixture("cpanel_uapi_cli_parse_zone.json"), CpanelApi::uapi, "example.test"));
}

TEST(CpanelReplies, WhmParseDnsZoneReadsDataPayload) {
  expect_realistic_zone(
      parse_zone_reply(fixture("cpanel_whm_parse_dns_zone.json"), CpanelApi::whm, "example.test"));
}

TEST(CpanelReplies, LineIndexesAreKeptForEdits) {
  const auto zone = parse_zone_reply(fixture("cpanel_uapi_parse_zone.json"), CpanelApi::uapi, "example.test");
  ASSERT_TRUE(zone.ok());
  std::vector<std::int64_t> lines;
  for (const auto& record : zone->records) {
    if (record.type == "A" && record.name == "lb.example.test") lines.push_back(record.line_index);
  }
  EXPECT_EQ(lines, (std::vector<std::int64_t>{9, 10, 12}));
}

TEST(CpanelReplies, StatusZeroSurfacesCpanelsText) {
  const auto uapi = parse_zone_reply(fixture("cpanel_uapi_no_zone.json"), CpanelApi::uapi, "missing.test");
  ASSERT_FALSE(uapi.ok());
  EXPECT_EQ(uapi.error().code, "dns_notzone");
  EXPECT_NE(uapi.error().message.find("You do not have access to a zone named “missing.test”."),
            std::string::npos)
      << uapi.error().message;
  const auto whm = parse_zone_reply(fixture("cpanel_whm_no_zone.json"), CpanelApi::whm, "missing.test");
  ASSERT_FALSE(whm.ok());
  EXPECT_EQ(whm.error().code, "dns_notzone");
  EXPECT_NE(whm.error().message.find("The zone “missing.test” does not exist."), std::string::npos);
}

TEST(CpanelReplies, TheWrongEnvelopeIsNotMistakenForSuccess) {
  // A WHM reply read as UAPI and the other way round: the URL points at the other API.
  const auto as_uapi =
      parse_zone_reply(fixture("cpanel_whm_parse_dns_zone.json"), CpanelApi::uapi, "example.test");
  ASSERT_FALSE(as_uapi.ok());
  EXPECT_EQ(as_uapi.error().code, "dns_error");
  EXPECT_NE(as_uapi.error().message.find("port 2083"), std::string::npos) << as_uapi.error().message;
  const auto as_whm =
      parse_zone_reply(fixture("cpanel_uapi_parse_zone.json"), CpanelApi::whm, "example.test");
  ASSERT_FALSE(as_whm.ok());
  EXPECT_NE(as_whm.error().message.find("port 2087"), std::string::npos) << as_whm.error().message;
}

TEST(CpanelReplies, EditReplies) {
  EXPECT_TRUE(parse_edit_reply(fixture("cpanel_uapi_mass_edit_ok.json"), CpanelApi::uapi).ok());
  EXPECT_TRUE(parse_edit_reply(fixture("cpanel_whm_mass_edit_ok.json"), CpanelApi::whm).ok());
  for (const auto& [name, api] : {std::pair{"cpanel_uapi_mass_edit_serial.json", CpanelApi::uapi},
                                  std::pair{"cpanel_whm_mass_edit_serial.json", CpanelApi::whm}}) {
    const auto status = parse_edit_reply(fixture(name), api);
    ASSERT_FALSE(status.ok()) << name;
    EXPECT_EQ(status.error().code, "dns_prerequisite") << name;
    EXPECT_NE(status.error().message.find("does not match the DNS zone’s serial number (2026112501)"),
              std::string::npos)
        << status.error().message;
  }
  const auto refused = parse_edit_reply(fixture("cpanel_uapi_mass_edit_refused.json"), CpanelApi::uapi);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, "dns_error");
  EXPECT_EQ(refused.error().message, "cPanel refused the change: “300.1.2.3” is not a valid IPv4 address.");
}

TEST(CpanelReplies, BrokenRepliesAreErrorsNotCrashes) {
  const std::string soa = R"({"line_index":3,"type":"record","record_type":"SOA","ttl":1,"dname_b64":")" +
                          b64("example.test.") + R"(","data_b64":[")" + b64("ns1.") + R"(",")" + b64("h.") +
                          R"(",")";
  const std::vector<std::string> cases = {
      "",
      "<html>cPanel login</html>",
      "[]",
      R"({"status":1})",
      R"({"status":1,"data":{"payload":[]}})",
      R"({"status":1,"data":[1]})",
      R"({"status":1,"data":[{"type":"record","record_type":"A"}]})",
      R"({"status":1,"data":[{"type":"record","record_type":"A","dname_b64":"bGI=","line_index":1.5,"data_b64":[]}]})",
      R"({"status":1,"data":[{"type":"record","record_type":"A","dname_b64":"bGI=","line_index":-1,"data_b64":[]}]})",
      R"({"status":1,"data":[{"type":"record","record_type":"A","dname_b64":"!!","line_index":1,"data_b64":[]}]})",
      R"({"status":1,"data":[{"type":"record","record_type":"A","dname_b64":"bGI=","line_index":1,"data_b64":[7]}]})",
      R"({"status":1,"data":[)" + soa + b64("99999999999") + R"("]}]})",  // serial beyond 32 bits
      R"({"status":1,"data":[)" + soa + b64("12ab") + R"("]}]})",
      R"({"status":1,"data":[{"line_index":3,"type":"record","record_type":"SOA","ttl":1,"dname_b64":"QA==",)"
      R"("data_b64":["QA=="]}]})",  // an SOA of one field
      R"({"metadata":{"result":1},"data":{"payload":{}}})",
  };
  for (const auto& body : cases) {
    const auto api = body.find("metadata") != std::string::npos ? CpanelApi::whm : CpanelApi::uapi;
    const auto zone = parse_zone_reply(body, api, "example.test");
    EXPECT_FALSE(zone.ok()) << body;
    if (!zone.ok()) EXPECT_EQ(zone.error().code, "dns_error") << body;
  }
  EXPECT_FALSE(parse_edit_reply("null", CpanelApi::whm).ok());
  EXPECT_FALSE(parse_edit_reply(R"({"metadata":{"result":"yes"}})", CpanelApi::whm).ok());
}

TEST(CpanelReplies, ErrorTextIsOneBoundedLine) {
  const std::string body =
      R"({"status":0,"errors":["line one\nforged=1", ")" + std::string(2000, 'x') + R"("]})";
  const auto status = parse_edit_reply(body, CpanelApi::uapi);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().message.find('\n'), std::string::npos);
  EXPECT_NE(status.error().message.find("line one forged=1; xxx"), std::string::npos);
  EXPECT_LT(status.error().message.size(), 600u);
  const auto silent = parse_edit_reply(R"({"status":0,"errors":null})", CpanelApi::uapi);
  ASSERT_FALSE(silent.ok());
  EXPECT_NE(silent.error().message.find("without saying why"), std::string::npos);
}

TEST(CpanelReplies, ZoneWithoutSoaHasNoSerial) {
  const std::string body =
      R"({"status":1,"data":[{"line_index":0,"type":"record","record_type":"A","ttl":30,)"
      R"("dname_b64":")" +
      b64("lb") + R"(","data_b64":[")" + b64("192.0.2.1") + R"("]}]})";
  const auto zone = parse_zone_reply(body, CpanelApi::uapi, "example.test");
  ASSERT_TRUE(zone.ok()) << zone.error().message;
  EXPECT_FALSE(zone->serial.has_value());
  EXPECT_EQ(a_of(*zone, "lb.example.test"), std::vector<std::string>{"192.0.2.1"});
}

}  // namespace
}  // namespace balctl::dns
