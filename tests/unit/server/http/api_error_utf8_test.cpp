// Error bodies stay valid JSON whatever bytes the message quotes. Found by fuzz_http_request: a
// percent-decoded path such as /api/v1/agent/heart%eat went into "no such endpoint: ..." as a lone 0xEA
// byte, and the 404 body was not valid UTF-8, so not JSON.
#include <string>

#include <gtest/gtest.h>

#include "common/json.hpp"
#include "server/http/api_error.hpp"

namespace balctl::http {
namespace {

TEST(ErrorResponse, InvalidUtf8BecomesReplacementCharacters) {
  const auto response = error_response(404, "not_found",
                                       "no such endpoint: /heart\xea"
                                       "t",
                                       "f\xff");
  const auto body = json::parse_object(response.body);
  ASSERT_TRUE(body.ok()) << response.body;
  const auto& error = body->at("error").as_object();
  EXPECT_EQ(error.at("message").as_string(), "no such endpoint: /heart\xEF\xBF\xBDt");
  EXPECT_EQ(error.at("field").as_string(), "f\xEF\xBF\xBD");
}

TEST(ErrorResponse, ValidUtf8IsKeptAndMalformedSequencesAreNot) {
  const std::string valid = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";
  EXPECT_EQ(json::parse_object(error_response(400, "x", valid).body)->at("error").at("message").as_string(),
            valid);
  // An overlong '/', a surrogate, a code point above U+10FFFF and a truncated sequence.
  for (const std::string bad : {"\xC0\xAF", "\xED\xA0\x80", "\xF4\x90\x80\x80", "\xE2\x82"}) {
    const auto response = error_response(400, "x", "a" + bad + "b");
    EXPECT_TRUE(json::parse_object(response.body).ok()) << response.body;
  }
}

}  // namespace
}  // namespace balctl::http
