// ApiError's text reaches the client through what(), a C string: input quoted in a message must not cut
// it short at an embedded NUL.
#include <gtest/gtest.h>

#include <string>

#include "server/http/api_error.hpp"
#include "server/http/router.hpp"

namespace balctl::http {
namespace {

TEST(ApiError, EmbeddedNulIsSpelledOutNotACut) {
  const std::string quoted("'lb\0evil.example.com' is not a valid host name", 46);
  const ApiError error(400, "invalid_field", quoted, "hostname");
  EXPECT_STREQ(error.what(), "'lb\\u0000evil.example.com' is not a valid host name");
  const ApiError twice(400, "x", std::string("\0\0", 2));
  EXPECT_STREQ(twice.what(), "\\u0000\\u0000");
}

TEST(ApiError, ThroughTheRouterTheWholeMessageArrives) {
  Router router;
  router.add(Method::post, "/x", [](const Request&, const PathParams&) -> Response {
    throw ApiError(Error::invalid("hostname", std::string("'a\0b' is not a valid host name", 30)));
  });
  Request request;
  request.method = Method::post;
  request.path = "/x";
  const auto response = router.dispatch(request);
  EXPECT_EQ(response.status, 400u);
  EXPECT_NE(response.body.find(R"("message":"'a\\u0000b' is not a valid host name")"), std::string::npos)
      << response.body;
}

}  // namespace
}  // namespace balctl::http
