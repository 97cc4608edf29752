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

TEST(Router, EncodedSlashIsPartOfTheSegmentNotASeparator) {
  Router router;
  int member_deletes = 0;
  router.add(Method::del, "/api/v1/pools/{pool}",
             [](const Request&, const PathParams&) { return json_response(200, "pool"); });
  router.add(Method::del, "/api/v1/pools/{pool}/members/{host}",
             [&member_deletes](const Request&, const PathParams&) {
               ++member_deletes;
               return json_response(200, "member");
             });
  for (const char* path : {"/api/v1/pools/web%2Fmembers%2Flb2", "/api/v1/pools/web%2fmembers%2flb2"}) {
    const auto response = router.dispatch(make_request(Method::del, path));
    EXPECT_EQ(response.status, 400u) << path;
    EXPECT_NE(response.body.find(R"("field":"pool")"), std::string::npos) << response.body;
  }
  EXPECT_EQ(member_deletes, 0);
  EXPECT_EQ(router.dispatch(make_request(Method::del, "/api/v1/pools/web/members/lb2")).body, "member");
}

TEST(Router, SegmentsAreDecodedAfterSplitting) {
  Router router;
  router.add(Method::get, "/api/v1/pools/{pool}",
             [](const Request&, const PathParams& params) { return json_response(200, params.at("pool")); });
  EXPECT_EQ(router.dispatch(make_request(Method::get, "/api/v1/pools/w%65b")).body, "web");
  EXPECT_EQ(router.dispatch(make_request(Method::get, "/%61pi/v1/pools/a%20b")).body, "a b")
      << "literal segments match after decoding too";
  const auto nul = router.dispatch(make_request(Method::get, "/api/v1/pools/web%00x"));
  EXPECT_EQ(nul.status, 400u);
  EXPECT_NE(nul.body.find(R"("field":"pool")"), std::string::npos) << nul.body;
  for (const char* bad : {"/api/v1/pools/web%", "/api/v1/pools/web%4", "/api/v1/pools/%zz"}) {
    const auto response = router.dispatch(make_request(Method::get, bad));
    EXPECT_EQ(response.status, 400u) << bad;
    EXPECT_NE(response.body.find(R"("field":"path")"), std::string::npos) << response.body;
  }
}

TEST(Router, ApiRepliesAreNotStoredByCaches) {
  Router router;
  router.add(Method::post, "/api/v1/tokens",
             [](const Request&, const PathParams&) { return json_response(201, R"({"token":"secret"})"); });
  router.add(Method::get, "/healthz",
             [](const Request&, const PathParams&) { return json_response(200, "{}"); });
  const auto has_no_store = [](const Response& response) {
    for (const auto& [name, value] : response.headers)
      if (name == "Cache-Control" && value == "no-store") return true;
    return false;
  };
  EXPECT_TRUE(has_no_store(router.dispatch(make_request(Method::post, "/api/v1/tokens"))));
  EXPECT_TRUE(has_no_store(router.dispatch(make_request(Method::get, "/api/v1/nope")))) << "errors too";
  EXPECT_FALSE(has_no_store(router.dispatch(make_request(Method::get, "/healthz"))));
}

TEST(DecodeSegment, EscapesAndMalformedOnes) {
  EXPECT_EQ(decode_segment("a%2Fb"), std::optional<std::string>("a/b"));
  EXPECT_EQ(decode_segment("%41%62"), std::optional<std::string>("Ab"));
  EXPECT_EQ(decode_segment(""), std::optional<std::string>(""));
  EXPECT_EQ(decode_segment("plain+text"), std::optional<std::string>("plain+text"))
      << "'+' is not a space in a path";
  for (const char* bad : {"%", "%4", "x%g0", "%0g"})
    EXPECT_FALSE(decode_segment(bad)) << bad;
}

}  // namespace
}  // namespace balctl::http
