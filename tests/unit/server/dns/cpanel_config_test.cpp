// The cPanel part of provider_config: mode uapi|whm, validated and kept through storage.
#include <gtest/gtest.h>

#include "common/json.hpp"
#include "server/dns/provider_config.hpp"

namespace balctl::dns {
namespace {

boost::json::object cpanel(std::string_view extra) {
  return *json::parse_object(
      R"({"provider":"cpanel","api_url":"https://cp.example.com:2087","username":"root","zone":"example.test",)"
      R"("api_token":"T")" +
      std::string(extra) + "}");
}

TEST(CpanelConfig, ModeDefaultsToUapi) {
  const auto config = parse_provider_config(cpanel(""));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(std::get<CpanelConfig>(*config).api, CpanelApi::uapi);
  EXPECT_EQ(masked_json(*config).at("mode"), "uapi");
}

TEST(CpanelConfig, WhmModeIsStoredAndJoinedBack) {
  const auto config = parse_provider_config(cpanel(R"(,"mode":"whm")"));
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(std::get<CpanelConfig>(*config).api, CpanelApi::whm);
  const auto back = join_settings("cpanel", public_settings(*config), secret_settings(*config));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<CpanelConfig>(*back).api, CpanelApi::whm);
  EXPECT_EQ(masked_json(*back).at("api_token"), "***");
}

TEST(CpanelConfig, BadModeNamesTheField) {
  for (const char* extra : {R"(,"mode":"cpanel")", R"(,"mode":1)", R"(,"mode":"WHM ")"}) {
    const auto config = parse_provider_config(cpanel(extra));
    ASSERT_FALSE(config.ok()) << extra;
    EXPECT_EQ(config.error().field, "mode") << extra;
  }
}

}  // namespace
}  // namespace balctl::dns
