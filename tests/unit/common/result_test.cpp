#include <gtest/gtest.h>

#include "common/result.hpp"

namespace balctl {
namespace {

Result<int> half(int value) {
  if (value % 2 != 0) return Error::invalid("value", "must be even");
  return value / 2;
}

TEST(Result, CarriesValueOrError) {
  const auto ok = half(4);
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 2);
  const auto bad = half(3);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.error().kind, Errc::invalid_argument);
  EXPECT_EQ(bad.error().field, "value");
}

TEST(Status, DefaultIsSuccess) {
  const Status status;
  EXPECT_TRUE(status.ok());
  const Status failed = Error::internal("boom");
  EXPECT_FALSE(failed.ok());
  EXPECT_EQ(failed.error().code, "internal");
}

}  // namespace
}  // namespace balctl
