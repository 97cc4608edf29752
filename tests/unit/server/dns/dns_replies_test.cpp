// The reply parsers of the DNS providers on their own (dns_query.hpp, powerdns_provider.hpp): what a
// broken or hostile server sends must come back as a value or an error, never an exception (the failover
// engine calls them on its own thread, where an exception ends the process). Inputs found by
// tests/fuzz/fuzz_powerdns_reply and fuzz_dns_reply.
#include <cstdint>
#include <string>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "server/dns/dns_query.hpp"
#include "server/dns/powerdns_provider.hpp"
#include "server/dns/rfc2136_provider.hpp"

namespace balctl::dns {
namespace {

boost::json::object zone(std::string_view text) {
  return boost::json::parse(text).as_object();
}

// A reply to a question for `name` (type `qtype`) with one answer record of `type` and raw `rdata`:
// authoritative, NOERROR.
std::string reply(const std::string& name, std::uint16_t qtype, std::uint16_t type,
                  const std::string& rdata) {
  const auto u16 = [](std::uint16_t v) {
    return std::string{static_cast<char>(v >> 8), static_cast<char>(v & 0xff)};
  };
  std::string owner;
  for (std::size_t start = 0; start < name.size();) {
    const auto dot = std::min(name.find('.', start), name.size());
    owner += static_cast<char>(dot - start);
    owner += name.substr(start, dot - start);
    start = dot + 1;
  }
  owner += '\0';
  std::string wire = u16(0x1234) + u16(0x8400) + u16(1) + u16(1) + u16(0) + u16(0);
  wire += owner + u16(qtype) + u16(1);
  wire +=
      owner + u16(type) + u16(1) + u16(0) + u16(30) + u16(static_cast<std::uint16_t>(rdata.size())) + rdata;
  return wire;
}

TEST(PowerDnsZone, ReadsTheARecordsOfTheName) {
  const auto addresses = powerdns_a_records(zone(R"({"rrsets":[
      {"name":"www.example.com.","type":"A","records":[{"content":"192.0.2.11"},{"content":"192.0.2.10"}]},
      {"name":"www.example.com.","type":"AAAA","records":[{"content":"2001:db8::1"}]},
      {"name":"other.example.com.","type":"A","records":[{"content":"192.0.2.99"}]}]})"),
                                            "www.example.com");
  ASSERT_TRUE(addresses.ok());
  EXPECT_EQ(*addresses, (std::vector<std::string>{"192.0.2.10", "192.0.2.11"}));
  EXPECT_EQ(powerdns_serial(zone(R"({"serial":2024010101})")), 2024010101u);
  EXPECT_EQ(powerdns_serial(zone(R"({})")), std::nullopt);
}

// Found by fuzz_powerdns_reply: at()/as_object() threw on replies of another shape, which on the failover
// engine's thread would have ended the process.
TEST(PowerDnsZone, AReplyOfAnotherShapeIsAnErrorNotAnException) {
  for (const char* text : {
           R"({"rrsets":[{"name":"www.example.com.","type":"A","records":[{"conttne":"192.0.2.10"}]}]})",
           R"({"rrsets":[42]})",
           R"({"rrsets":[{"name":"www.example.com."}]})",
           R"({"rrsets":[{"name":"www.example.com.","type":"A"}]})",
           R"({"rrsets":[{"name":"www.example.com.","type":"A","records":[{"content":7}]}]})",
           R"({"rrsets":[{"name":"www.example.com.","type":"A","records":["192.0.2.10"]}]})",
       }) {
    Result<std::vector<std::string>> addresses = std::vector<std::string>{};
    ASSERT_NO_THROW(addresses = powerdns_a_records(zone(text), "www.example.com")) << text;
    ASSERT_FALSE(addresses.ok()) << text;
    EXPECT_EQ(addresses.error().code, "dns_error");
  }
  for (const char* text :
       {R"({"serial":-1})", R"({"serial":4294967296})", R"({"serial":1.5})", R"({"serial":"7"})"}) {
    std::optional<std::uint32_t> serial = 1;
    ASSERT_NO_THROW(serial = powerdns_serial(zone(text))) << text;
    EXPECT_EQ(serial, std::nullopt) << text;
  }
}

TEST(DnsReply, ReadsAddressesAndSerial) {
  const auto addresses = parse_a_reply(reply("www.example.com", 1, 1, std::string("\xc0\x00\x02\x0a", 4)),
                                       "127.0.0.1:53", "www.example.com");
  ASSERT_TRUE(addresses.ok()) << addresses.error().message;
  EXPECT_EQ(*addresses, std::vector<std::string>{"192.0.2.10"});
  const std::string soa =
      std::string("\x03ns1\x00\x04host\x00", 11) + "\x78\xa3\xf1\x75" + std::string(16, '\x01');
  const auto serial = parse_soa_reply(reply("example.com", 6, 6, soa), "127.0.0.1:53", "example.com");
  ASSERT_TRUE(serial.ok()) << serial.error().message;
  EXPECT_EQ(*serial, 0x78a3f175u);
}

// Found by fuzz_dns_reply: ldns keeps an SOA whose rdata is one byte as a record with one field, and
// reading the serial of it (field 3) hit an assertion in ldns, aborting the control plane.
TEST(DnsReply, TruncatedRecordsAreRefusedOrSkipped) {
  const auto serial =
      parse_soa_reply(reply("example.com", 6, 6, std::string(1, '\0')), "127.0.0.1:53", "example.com");
  ASSERT_FALSE(serial.ok());
  EXPECT_EQ(serial.error().code, "dns_error");
  const auto empty = parse_a_reply(reply("www.example.com", 1, 1, ""), "127.0.0.1:53", "www.example.com");
  ASSERT_TRUE(empty.ok()) << empty.error().message;
  EXPECT_TRUE(empty->empty());
  EXPECT_FALSE(parse_a_reply("\x12\x34", "127.0.0.1:53", "www.example.com").ok());
}

TEST(UpdateReply, RcodesAreExplained) {
  const auto update = [](std::uint16_t flags) {
    std::string wire = {
        0x12, 0x34, static_cast<char>(flags >> 8), static_cast<char>(flags & 0xff), 0, 0, 0, 0, 0, 0, 0, 0};
    return wire;
  };
  EXPECT_TRUE(update_reply_status(update(0xA800), "127.0.0.1:53", "example.com").ok());
  const auto notauth = update_reply_status(update(0xA809), "127.0.0.1:53", "example.com");
  ASSERT_FALSE(notauth.ok());
  EXPECT_EQ(notauth.error().code, "dns_notauth");
  const auto nxrrset = update_reply_status(update(0xA808), "127.0.0.1:53", "example.com");
  ASSERT_FALSE(nxrrset.ok());
  EXPECT_EQ(nxrrset.error().code, "dns_prerequisite");
  EXPECT_FALSE(update_reply_status("\x12", "127.0.0.1:53", "example.com").ok());
}

}  // namespace
}  // namespace balctl::dns
