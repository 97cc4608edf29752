#include "common/http_client.hpp"

#include <gtest/gtest.h>

namespace balctl {
namespace {

TEST(PercentEncode, KeepsUnreservedAndEncodesTheRest) {
  EXPECT_EQ(percent_encode("lb-1.example.com_~"), "lb-1.example.com_~");
  EXPECT_EQ(percent_encode("a b/c?d&e=f#g%"), "a%20b%2Fc%3Fd%26e%3Df%23g%25");
  EXPECT_EQ(percent_encode("\xc3\xbc"), "%C3%BC");  // UTF-8 bytes, upper-case hex
  EXPECT_EQ(percent_encode(""), "");
}

}  // namespace
}  // namespace balctl
