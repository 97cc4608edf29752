#include <gtest/gtest.h>

#include "server/http/api_error.hpp"
#include "server/http/router.hpp"

namespace balctl::http {
namespace {

Request make_request(Method method, std::string path) {
  Request request;
  request.method = method;
  request.path = std::move(path);
  return request;
}

TEST(Router, CapturesPathParameters) {
  Router router;
  router.add(Method::get, "/api/v1/pools/{pool}/members/{host}", [](const Request&, const PathParams& params) {
    return json_response(200, params.at("pool") + "/" + params.at("host"));
  });
  const auto response = router.dispatch(make_request(Method::get, "/api/v1/pools/web/members/lb1"));
  EXPECT_EQ(response.status, 200u);
  EXPECT_EQ(response.body, "web/lb1");
}

TEST(Router, UnknownPathIs404AndWrongMethodIs405) {
  Router router;
  router.add(Method::get, "/healthz", [](const Request&, const PathParams&) { return json_response(200, "{}"); });
  EXPECT_EQ(router.dispatch(make_request(Method::get, "/nope")).status, 404u);
  EXPECT_EQ(router.dispatch(make_request(Method::post, "/healthz")).status, 405u);
}

TEST(Router, ApiErrorBecomesJsonWithStatus) {
  Router router;
  router.add(Method::post, "/x", [](const Request&, const PathParams&) -> Response {
    throw ApiError(400, "invalid_field", "field 'a' is wrong", "a");
  });
  const auto response = router.dispatch(make_request(Method::post, "/x"));
  EXPECT_EQ(response.status, 400u);
  EXPECT_NE(response.body.find("\"field\":\"a\""), std::string::npos);
}

TEST(Router, UnexpectedExceptionIs500NotACrash) {
  Router router;
  router.add(Method::get, "/boom", [](const Request&, const PathParams&) -> Response {
    throw std::runtime_error("bug");
  });
  EXPECT_EQ(router.dispatch(make_request(Method::get, "/boom")).status, 500u);
}

}  // namespace
}  // namespace balctl::http
