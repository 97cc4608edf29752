#include "common/validate.hpp"

#include <gtest/gtest.h>

namespace balctl::validate {
namespace {

TEST(ValidateIpv4, AcceptsDottedQuads) {
  EXPECT_EQ(ipv4("192.0.2.10"), "192.0.2.10");
  EXPECT_EQ(ipv4("0.0.0.0"), "0.0.0.0");
  EXPECT_EQ(ipv4("255.255.255.255"), "255.255.255.255");
}

TEST(ValidateIpv4, RejectsEverythingElse) {
  for (const char* bad : {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.04", " 1.2.3.4",
                          "1.2.3.4 ", "1..2.3", "a.b.c.d", "1.2.3.-4", "::1", "1.2.3.4/24", "1234.1.1.1"}) {
    EXPECT_FALSE(ipv4(bad)) << bad;
  }
}

TEST(ValidateIpv4, AdvertisedExcludesUnroutableRanges) {
  EXPECT_TRUE(advertised_ipv4("127.0.0.2"));
  EXPECT_TRUE(advertised_ipv4("10.0.0.1"));
  EXPECT_TRUE(advertised_ipv4("223.255.255.254"));
  EXPECT_FALSE(advertised_ipv4("0.0.0.0"));
  EXPECT_FALSE(advertised_ipv4("0.1.2.3"));
  EXPECT_FALSE(advertised_ipv4("224.0.0.1"));
  EXPECT_FALSE(advertised_ipv4("240.0.0.1"));
  EXPECT_FALSE(advertised_ipv4("255.255.255.255"));
}

TEST(ValidateIpAddress, AcceptsIpv6AndUnmapsIpv4) {
  EXPECT_EQ(ip_address("::1"), "::1");
  EXPECT_EQ(ip_address("2001:DB8::1"), "2001:db8::1");
  EXPECT_EQ(ip_address("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(ip_address("198.51.100.7"), "198.51.100.7");
  EXPECT_FALSE(ip_address("nope"));
  EXPECT_FALSE(ip_address("2001:db8::1%eth0"));
  EXPECT_FALSE(ip_address(""));
}

TEST(ValidateHostname, NormalisesAndChecksLabels) {
  EXPECT_EQ(hostname("LB1.Example.COM."), "lb1.example.com");
  EXPECT_EQ(hostname("lb1"), "lb1");
  EXPECT_EQ(hostname(std::string(63, 'a') + ".example.com"), std::string(63, 'a') + ".example.com");
  EXPECT_FALSE(hostname(std::string(64, 'a') + ".example.com"));
  EXPECT_FALSE(hostname("-lb.example.com"));
  EXPECT_FALSE(hostname("lb-.example.com"));
  EXPECT_FALSE(hostname("lb_1.example.com"));
  EXPECT_FALSE(hostname("lb..example.com"));
  EXPECT_FALSE(hostname(""));
  EXPECT_FALSE(hostname("."));
  EXPECT_FALSE(hostname("exa mple.com"));
  std::string long_name;
  while (long_name.size() < 250)
    long_name += "abcdefgh.";
  long_name += "com";
  EXPECT_FALSE(hostname(long_name));
}

TEST(ValidateFqdn, NeedsTwoLabelsAndANamedTld) {
  EXPECT_EQ(fqdn("lb.example.com"), "lb.example.com");
  EXPECT_EQ(fqdn("example.org."), "example.org");
  EXPECT_FALSE(fqdn("localhost"));
  EXPECT_FALSE(fqdn("192.0.2.1"));
  EXPECT_FALSE(fqdn("host.123"));
}

TEST(ValidateObjectName, LowercaseSlugs) {
  EXPECT_EQ(object_name("web-01_a"), "web-01_a");
  EXPECT_FALSE(object_name("Web"));
  EXPECT_FALSE(object_name("-web"));
  EXPECT_FALSE(object_name("we b"));
  EXPECT_FALSE(object_name(""));
  EXPECT_FALSE(object_name(std::string(64, 'a')));
  EXPECT_TRUE(object_name(std::string(63, 'a')));
}

TEST(ValidateIpv4, RejectsSpacesSignsAndTrailingDots) {
  for (const char* bad : {"1.2. 3.4", "1.2.3.4.", ".1.2.3.4", "+1.2.3.4", "1.2.3.4\n", "1.2.3.4\t",
                          "0x1.2.3.4", "1.2.3.256", "300.2.3.4", "00.0.0.0", "1.2.3.00"}) {
    EXPECT_FALSE(ipv4(bad)) << bad;
  }
}

TEST(ValidateIpv4, AdvertisedBoundaries) {
  EXPECT_EQ(advertised_ipv4("1.0.0.0"), "1.0.0.0");
  EXPECT_EQ(advertised_ipv4("127.0.0.1"), "127.0.0.1");
  EXPECT_FALSE(advertised_ipv4("0.255.255.255"));
  EXPECT_FALSE(advertised_ipv4("223.255.255.256"));  // not even an address
  EXPECT_FALSE(advertised_ipv4("239.255.255.250"));
  EXPECT_FALSE(advertised_ipv4("01.2.3.4")) << "strictness of ipv4() applies too";
}

TEST(ValidateIpAddress, CanonicalisesIpv6Text) {
  EXPECT_EQ(ip_address("2001:0db8:0000:0000:0000:0000:0000:0001"), "2001:db8::1");
  EXPECT_EQ(ip_address("::FFFF:127.0.0.1"), "127.0.0.1");
  EXPECT_EQ(ip_address("::"), "::");
  EXPECT_FALSE(ip_address("01.2.3.4")) << "IPv4 stays strict inside ip_address";
  EXPECT_FALSE(ip_address("[::1]"));
  EXPECT_FALSE(ip_address("2001:db8::1::2"));
  EXPECT_FALSE(ip_address(std::string(46, '1')));
}

TEST(ValidateHostname, TotalLengthBoundaryIs253) {
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 characters.
  const std::string name = std::string(63, 'a') + "." + std::string(63, 'b') + "." + std::string(63, 'c') +
                           "." + std::string(61, 'd');
  ASSERT_EQ(name.size(), 253u);
  EXPECT_EQ(hostname(name), name);
  EXPECT_EQ(hostname(name + "."), name) << "the trailing dot does not count";
  EXPECT_FALSE(hostname(name + "d"));
  EXPECT_FALSE(hostname(name + ".."));
}

TEST(ValidateHostname, LabelRules) {
  EXPECT_EQ(hostname("a"), "a");
  EXPECT_EQ(hostname("1-2.example.com"), "1-2.example.com");
  EXPECT_EQ(hostname("xn--bcher-kva.example"), "xn--bcher-kva.example");
  EXPECT_EQ(hostname(std::string(63, 'A')), std::string(63, 'a'));
  EXPECT_FALSE(hostname(std::string(64, 'a')));
  EXPECT_FALSE(hostname("lb.-example.com"));
  EXPECT_FALSE(hostname("lb.example-.com"));
  EXPECT_FALSE(hostname(".example.com"));
  EXPECT_FALSE(hostname("lb.example.com.."));
  EXPECT_FALSE(hostname("lb*.example.com"));
  EXPECT_FALSE(hostname("l\xc3\xa9.example.com"));
}

TEST(ValidateFqdn, NormalisesAndRejectsNumericTlds) {
  EXPECT_EQ(fqdn("LB.Example.COM."), "lb.example.com");
  EXPECT_EQ(fqdn("a.b2"), "a.b2");
  EXPECT_FALSE(fqdn("lb."));
  EXPECT_FALSE(fqdn("a.0"));
  EXPECT_FALSE(fqdn("10.0.0.1"));
  EXPECT_FALSE(fqdn("lb_1.example.com"));
}

TEST(ValidateObjectName, FirstCharacterAndAlphabet) {
  EXPECT_EQ(object_name("1abc"), "1abc");
  EXPECT_EQ(object_name("a"), "a");
  EXPECT_FALSE(object_name("_web"));
  EXPECT_FALSE(object_name("web.prod"));
  EXPECT_FALSE(object_name("web/prod"));
  EXPECT_FALSE(object_name("wEb"));
}

}  // namespace
}  // namespace balctl::validate

namespace balctl::validate {
namespace {

TEST(Validate, VersionTokens) {
  const std::string longest(64, '9');
  for (const std::string ok : {std::string("0.1.0"), std::string("2.6.12-1+deb12u1"), std::string("1.0~rc1"),
                               std::string("a_b"), longest}) {
    EXPECT_TRUE(version_token(ok)) << ok;
  }
  for (const std::string bad : {std::string(""), std::string(65, '1'), std::string("1.0\nlevel=error"),
                                std::string("1 0"), std::string("1\"0"), std::string("1=0"),
                                std::string("1\0", 2), std::string("caf\xc3\xa9")}) {
    EXPECT_FALSE(version_token(bad)) << bad;
  }
}

TEST(Validate, UnitNames) {
  for (const char* ok :
       {"haproxy.service", "haproxy", "haproxy@blue.service", "dev-disk-by\\x2duuid.device", "a:b.socket"}) {
    EXPECT_TRUE(unit_name(ok)) << ok;
  }
  for (const char* bad : {"", "ha proxy.service", "a/b.service", "a\n.service", "a\"b", "a=b"}) {
    EXPECT_FALSE(unit_name(bad)) << bad;
  }
}

TEST(Validate, LowerWordsAndCredentials) {
  EXPECT_TRUE(lower_word("active"));
  EXPECT_TRUE(lower_word("not-found"));
  EXPECT_FALSE(lower_word("Active"));
  EXPECT_FALSE(lower_word(""));
  EXPECT_FALSE(lower_word("abcd", 3));
  EXPECT_TRUE(credential_text("bms.12.AbC-_09"));
  EXPECT_FALSE(credential_text("bms.12.a\nb"));
  EXPECT_FALSE(credential_text("bms.12.a b"));
  EXPECT_FALSE(credential_text("bms.12.a+b/"));
  EXPECT_FALSE(credential_text(std::string(257, 'a')));
}

}  // namespace
}  // namespace balctl::validate
