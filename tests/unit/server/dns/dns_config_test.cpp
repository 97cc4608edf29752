#include <gtest/gtest.h>

#include "common/json.hpp"
#include "server/dns/cloudflare_provider.hpp"
#include "server/dns/dns_query.hpp"
#include "server/dns/provider_config.hpp"
#include "server/dns/rfc2136_provider.hpp"

namespace balctl::dns {
namespace {

boost::json::object object(std::string_view text) { return *json::parse_object(text); }

const char* kRfc2136 = R"({"provider":"rfc2136","server":"127.0.0.1","port":5353,"zone":"Example.Test",
  "tsig_name":"balctl-key","tsig_secret":"YmFsY3RsIHRlc3QgdHNpZyBzZWNyZXQgMzIgYnl0ZXM="})";

TEST(ProviderConfig, Rfc2136ParsesAndNormalises) {
  const auto config = parse_provider_config(object(kRfc2136));
  ASSERT_TRUE(config.ok()) << config.error().message;
  const auto& c = std::get<Rfc2136Config>(*config);
  EXPECT_EQ(c.zone, "example.test");
  EXPECT_EQ(c.port, 5353);
  EXPECT_EQ(c.tsig_algorithm, "hmac-sha256");
  EXPECT_EQ(provider_kind(*config), "rfc2136");
}

TEST(ProviderConfig, ErrorsNameTheField) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"server":"x"})", "provider"},
      {R"({"provider":"route53"})", "provider"},
      {R"({"provider":"rfc2136","zone":"example.test","tsig_name":"k","tsig_secret":"c2VjcmV0c2VjcmV0c2VjcmV0"})",
       "server"},
      {R"({"provider":"rfc2136","server":"1.2.3.4","zone":"example.test","tsig_name":"k","tsig_secret":"c2hvcnQ="})",
       "tsig_secret"},
      {R"({"provider":"rfc2136","server":"1.2.3.4","zone":"example.test","tsig_name":"k k",
          "tsig_secret":"c2VjcmV0c2VjcmV0c2VjcmV0"})", "tsig_name"},
      {R"({"provider":"rfc2136","server":"1.2.3.4","zone":"example.test","tsig_name":"k","tsig_algorithm":"sha1",
          "tsig_secret":"c2VjcmV0c2VjcmV0c2VjcmV0"})", "tsig_algorithm"},
      {R"({"provider":"powerdns","api_url":"ftp://x","zone":"example.test","api_key":"k"})", "api_url"},
      {R"({"provider":"powerdns","api_url":"http://pdns.example.com:8081","zone":"example.test","api_key":"k"})",
       "api_url"},
      {R"({"provider":"powerdns","api_url":"https://pdns.example.com","zone":"not a zone","api_key":"k"})", "zone"},
      {R"({"provider":"cloudflare","zone_id":"xyz","api_token":"t"})", "zone_id"},
      {R"({"provider":"cloudflare","zone_id":"0123456789abcdef0123456789abcdef"})", "api_token"},
      {R"({"provider":"cpanel","api_url":"https://cp.example.com:2083","username":"Bad User","zone":"example.test",
          "api_token":"t"})", "username"},
      {R"({"provider":"cpanel","api_url":"https://cp.example.com:2083","username":"u","zone":"example.test",
          "api_token":"two\nlines"})", "api_token"},
  };
  for (const auto& [text, field] : cases) {
    const auto config = parse_provider_config(object(text));
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.error().field, field) << text << ": " << config.error().message;
  }
}

TEST(ProviderConfig, PlainHttpOnlyOnLoopback) {
  EXPECT_TRUE(parse_provider_config(
                  object(R"({"provider":"powerdns","api_url":"http://127.0.0.1:8081","zone":"example.test","api_key":"k"})"))
                  .ok());
  EXPECT_TRUE(parse_provider_config(
                  object(R"({"provider":"powerdns","api_url":"http://localhost:8081/","zone":"example.test","api_key":"k"})"))
                  .ok());
}

TEST(ProviderConfig, SecretsAreSplitMaskedAndJoinedBack) {
  const auto config = *parse_provider_config(object(kRfc2136));
  const auto settings = public_settings(config);
  const auto secrets = secret_settings(config);
  EXPECT_FALSE(settings.contains("tsig_secret"));
  EXPECT_TRUE(secrets.contains("tsig_secret"));
  EXPECT_EQ(masked_json(config).at("tsig_secret"), "***");
  const auto joined = join_settings("rfc2136", settings, secrets);
  ASSERT_TRUE(joined.ok());
  EXPECT_EQ(std::get<Rfc2136Config>(*joined).tsig_secret, std::get<Rfc2136Config>(config).tsig_secret);
  for (const char* text :
       {R"({"provider":"cloudflare","zone_id":"0123456789abcdef0123456789abcdef","api_token":"t","proxied":true})",
        R"({"provider":"cpanel","api_url":"https://cp.example.com:2083","username":"u","zone":"example.test","api_token":"t"})",
        R"({"provider":"powerdns","api_url":"https://pdns.example.com","zone":"example.test","api_key":"k"})"}) {
    const auto c = *parse_provider_config(object(text));
    const auto back = join_settings(provider_kind(c), public_settings(c), secret_settings(c));
    ASSERT_TRUE(back.ok()) << text;
    EXPECT_EQ(provider_kind(*back), provider_kind(c));
    EXPECT_EQ(masked_json(*back), masked_json(c));
  }
}

TEST(Zones, Containment) {
  EXPECT_TRUE(in_zone("lb.example.test", "example.test"));
  EXPECT_TRUE(in_zone("example.test", "example.test"));
  EXPECT_TRUE(in_zone("a.b.example.test", "example.test"));
  EXPECT_FALSE(in_zone("lbexample.test", "example.test"));
  EXPECT_FALSE(in_zone("example.test", "lb.example.test"));
  EXPECT_FALSE(in_zone("lb.example.org", "example.test"));
}

TEST(Cloudflare, TtlRules) {
  EXPECT_EQ(CloudflareProvider::cloudflare_ttl(30, false), 60);
  EXPECT_EQ(CloudflareProvider::cloudflare_ttl(300, false), 300);
  EXPECT_EQ(CloudflareProvider::cloudflare_ttl(300, true), 1);
}

TEST(DnsQuery, RcodeNames) {
  EXPECT_EQ(rcode_name(9), "NOTAUTH");
  EXPECT_EQ(rcode_name(5), "REFUSED");
  EXPECT_EQ(rcode_name(23), "RCODE23");
}

}  // namespace
}  // namespace balctl::dns
