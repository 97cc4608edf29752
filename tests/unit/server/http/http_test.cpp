#include <optional>
#include <string>
#include <string_view>

#include <gtest/gtest.h>

#include "common/json.hpp"
#include "server/app/serve_options.hpp"
#include "server/http/address_slots.hpp"
#include "server/http/api_error.hpp"
#include "server/http/client_address.hpp"
#include "server/http/message.hpp"

namespace balctl::http {
namespace {

TEST(SplitTarget, KeepsThePathEncodedAndDecodesTheQuery) {
  const auto split = split_target("/api/v1/pools/w%65b?force=true&limit=5&x=a%20b");
  ASSERT_TRUE(split);
  EXPECT_EQ(split->first, "/api/v1/pools/w%65b") << "the router decodes each segment after splitting";
  EXPECT_EQ(split->second.at("force"), "true");
  EXPECT_EQ(split->second.at("x"), "a b");
  EXPECT_FALSE(split_target("/bad%zz"));
  EXPECT_FALSE(split_target("no-slash"));
}

TEST(BearerToken, ParsesTheSchemeLeniently) {
  Request request;
  request.authorization = "Bearer abc";
  EXPECT_EQ(request.bearer_token(), "abc");
  request.authorization = "bearer   abc  ";
  EXPECT_EQ(request.bearer_token(), "abc");
  request.authorization = "Basic abc";
  EXPECT_EQ(request.bearer_token(), "");
  request.authorization = "Bearer";
  EXPECT_EQ(request.bearer_token(), "");
}

TEST(ErrorResponse, JsonShapeAndStatusMapping) {
  const auto response = error_response(401, "unauthorized", "nope");
  EXPECT_EQ(response.status, 401u);
  EXPECT_EQ(response.body, R"({"error":{"code":"unauthorized","message":"nope"}})");
  ASSERT_EQ(response.headers.size(), 1u);
  EXPECT_EQ(response.headers[0].first, "WWW-Authenticate");
  EXPECT_EQ(error_response(400, "invalid_field", "bad", "x").body,
            R"({"error":{"code":"invalid_field","message":"bad","field":"x"}})");
  EXPECT_EQ(status_for(Errc::conflict), 409u);
  EXPECT_EQ(status_for(Errc::too_large), 413u);
  EXPECT_EQ(ApiError(Error::not_found("pool_not_found", "x")).status(), 404u);
}

TEST(ServeOptions, ListenAddresses) {
  EXPECT_EQ(app::parse_listen("127.0.0.1:8443")->port, 8443);
  EXPECT_EQ(app::parse_listen("[::1]:9000")->host, "::1");
  for (const char* bad :
       {"127.0.0.1", ":8443", "127.0.0.1:", "localhost:8443", "127.0.0.1:70000", "1.2.3.4:x", "::1:8443"}) {
    EXPECT_FALSE(app::parse_listen(bad).ok()) << bad;
  }
}

TEST(ServeOptions, CombinationsAreChecked) {
  app::ServeOptions options;
  options.data_dir = "/tmp/x";
  EXPECT_TRUE(app::validate(options).ok());
  options.tls_cert = "/etc/cert.pem";
  EXPECT_EQ(app::validate(options).error().field, "tls-cert");
  options.tls_key = "/etc/key.pem";
  EXPECT_TRUE(app::validate(options).ok());
  options.insecure_http = true;
  EXPECT_EQ(app::validate(options).error().field, "insecure-http");
  app::ServeOptions db;
  db.database = "postgresql://x";
  EXPECT_EQ(app::validate(db).error().field, "database");
  app::ServeOptions url;
  url.public_url = "ftp://x";
  EXPECT_EQ(app::validate(url).error().field, "public-url");
}

TEST(ServeOptions, PerAddressCapIsAtMostTheConnectionCap) {
  app::ServeOptions options;
  options.data_dir = "/tmp/x";
  options.max_connections = 10;
  options.max_connections_per_ip = 10;
  EXPECT_TRUE(app::validate(options).ok());
  options.max_connections_per_ip = 11;
  EXPECT_EQ(app::validate(options).error().field, "max-connections-per-ip");
}

TEST(AddressSlots, EachAddressHasItsOwnCap) {
  AddressSlots slots(2);
  EXPECT_TRUE(slots.acquire("127.0.0.2"));
  EXPECT_TRUE(slots.acquire("127.0.0.2"));
  EXPECT_FALSE(slots.acquire("127.0.0.2")) << "the third from one address";
  EXPECT_TRUE(slots.acquire("127.0.0.3")) << "another address is not affected";
  slots.release("127.0.0.2");
  EXPECT_EQ(slots.held("127.0.0.2"), 1u);
  EXPECT_TRUE(slots.acquire("127.0.0.2")) << "a closed connection gives its slot back";
  slots.release("127.0.0.3");
  EXPECT_EQ(slots.held("127.0.0.3"), 0u);
  slots.release("127.0.0.9");  // unknown: ignored
  EXPECT_EQ(slots.held("127.0.0.9"), 0u);
}

TEST(SplitTarget, EdgeCases) {
  const auto root = split_target("/");
  ASSERT_TRUE(root);
  EXPECT_EQ(root->first, "/");
  EXPECT_TRUE(root->second.empty());
  const auto flag = split_target("/api/v1/pools/web?force");
  ASSERT_TRUE(flag);
  ASSERT_EQ(flag->second.count("force"), 1u);
  EXPECT_EQ(flag->second.at("force"), "");
  const auto encoded = split_target("/e?pool=a%26b&after=10");
  ASSERT_TRUE(encoded);
  EXPECT_EQ(encoded->second.at("pool"), "a&b") << "an encoded '&' does not split parameters";
  EXPECT_EQ(encoded->second.at("after"), "10");
  EXPECT_EQ(split_target("/x%20y")->first, "/x%20y");
  EXPECT_EQ(split_target("/pools/web%2Fmembers%2Flb2")->first, "/pools/web%2Fmembers%2Flb2");
  for (const char* bad : {"", "/bad%", "/bad%4", "/q?x=%zz", "http://host/path", "*"}) {
    EXPECT_FALSE(split_target(bad)) << bad;
  }
}

TEST(BearerToken, MoreSchemes) {
  Request request;
  request.authorization = "BEARER tok";
  EXPECT_EQ(request.bearer_token(), "tok");
  request.authorization = "Bearertok";
  EXPECT_EQ(request.bearer_token(), "") << "the scheme needs its space";
  request.authorization = "Bearer      ";
  EXPECT_EQ(request.bearer_token(), "");
  request.authorization = "Token tok";
  EXPECT_EQ(request.bearer_token(), "");
  request.authorization = "";
  EXPECT_EQ(request.bearer_token(), "");
  request.authorization = "Bearer bat.admin.x y";
  EXPECT_EQ(request.bearer_token(), "bat.admin.x y")
      << "inner spaces are kept (and will fail authentication)";
}

TEST(QueryParam, FindsDecodedValues) {
  Request request;
  request.query = {{"limit", "5"}};
  EXPECT_EQ(request.query_param("limit"), std::optional<std::string_view>("5"));
  EXPECT_FALSE(request.query_param("after").has_value());
}

TEST(ErrorResponse, IsValidJsonEvenWithQuotesInTheMessage) {
  const auto response = error_response(409, "pool_exists", R"(a pool named "web" already exists)");
  EXPECT_EQ(response.status, 409u);
  EXPECT_EQ(response.content_type, "application/json");
  EXPECT_TRUE(response.headers.empty()) << "WWW-Authenticate only on 401";
  const auto parsed = json::parse_object(response.body);
  ASSERT_TRUE(parsed.ok());
  const auto& error = parsed->at("error").as_object();
  EXPECT_EQ(error.at("code").as_string(), "pool_exists");
  EXPECT_EQ(error.at("message").as_string(), R"(a pool named "web" already exists)");
  EXPECT_FALSE(error.contains("field"));
}

TEST(ErrorResponse, EveryKindMapsToItsStatus) {
  EXPECT_EQ(status_for(Errc::invalid_argument), 400u);
  EXPECT_EQ(status_for(Errc::unauthorized), 401u);
  EXPECT_EQ(status_for(Errc::forbidden), 403u);
  EXPECT_EQ(status_for(Errc::not_found), 404u);
  EXPECT_EQ(status_for(Errc::conflict), 409u);
  EXPECT_EQ(status_for(Errc::too_large), 413u);
  EXPECT_EQ(status_for(Errc::unavailable), 503u);
  EXPECT_EQ(status_for(Errc::internal), 500u);
}

TEST(ApiErrorTest, UnwrapThrowsTheErrorWithItsField) {
  EXPECT_EQ(unwrap(Result<int>(7)), 7);
  try {
    (void)unwrap(Result<int>(Error::invalid("delay_s", "too small")));
    FAIL() << "unwrap did not throw";
  } catch (const ApiError& error) {
    EXPECT_EQ(error.status(), 400u);
    EXPECT_EQ(error.code(), "invalid_field");
    EXPECT_EQ(error.field(), "delay_s");
    EXPECT_STREQ(error.what(), "too small");
  }
  EXPECT_NO_THROW(unwrap(Status{}));
  EXPECT_THROW(unwrap(Status{Error::conflict("x", "y")}), ApiError);
}

TEST(ServeOptions, ListenAddressDetails) {
  const auto any = app::parse_listen("0.0.0.0:443");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->host, "0.0.0.0");
  EXPECT_EQ(any->port, 443);
  EXPECT_EQ(app::parse_listen("[::]:8443")->host, "::");
  EXPECT_EQ(app::parse_listen("127.0.0.1:65535")->port, 65535);
  for (const char* bad : {"127.0.0.1:65536", "127.0.0.1:-1", "127.0.0.1:80x", "127.0.0.1: 80", "01.0.0.1:80",
                          "[::1:80", "[]:80", "", ":"}) {
    const auto parsed = app::parse_listen(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().field, "listen") << bad;
    EXPECT_EQ(parsed.error().kind, Errc::invalid_argument) << bad;
  }
}

TEST(ServeOptions, ValidateChecksTheListenAddressAndUrls) {
  app::ServeOptions options;
  options.listen = "nowhere";
  EXPECT_EQ(app::validate(options).error().field, "listen");
  app::ServeOptions key_only;
  key_only.tls_key = "/etc/key.pem";
  EXPECT_EQ(app::validate(key_only).error().field, "tls-cert");
  for (const char* url : {"https://cp.example.com:8443", "http://127.0.0.1:8080"}) {
    app::ServeOptions ok;
    ok.public_url = url;
    EXPECT_TRUE(app::validate(ok).ok()) << url;
  }
  for (const char* url : {"cp.example.com", "HTTPS//x", " https://x"}) {
    app::ServeOptions bad;
    bad.public_url = url;
    EXPECT_EQ(app::validate(bad).error().field, "public-url") << url;
  }
  app::ServeOptions insecure;
  insecure.insecure_http = true;
  EXPECT_TRUE(app::validate(insecure).ok()) << "plain HTTP alone is allowed";
}

ClientAddressPolicy policy(std::vector<std::string> proxies, std::string header = "X-Forwarded-For") {
  auto made = ClientAddressPolicy::make(proxies, std::move(header));
  EXPECT_TRUE(made.ok()) << made.error().message;
  return *made;
}

TEST(ClientAddress, OffByDefaultThePeerIsTheClient) {
  const ClientAddressPolicy none;
  EXPECT_FALSE(none.enabled());
  EXPECT_EQ(none.effective("127.0.0.1", "198.51.100.7"), "127.0.0.1");
}

TEST(ClientAddress, OnlyATrustedPeerMayNameTheClient) {
  const auto p = policy({"127.0.0.1", "10.0.0.0/8"});
  EXPECT_EQ(p.effective("127.0.0.1", "198.51.100.7"), "198.51.100.7");
  EXPECT_EQ(p.effective("10.20.30.40", " 198.51.100.7 "), "198.51.100.7");
  EXPECT_EQ(p.effective("192.0.2.50", "198.51.100.7"), "192.0.2.50") << "untrusted peer: header ignored";
  EXPECT_EQ(p.effective("127.0.0.1", ""), "127.0.0.1") << "no header: the proxy itself";
}

TEST(ClientAddress, RightMostUntrustedHopIsTheClient) {
  const auto p = policy({"10.0.0.0/8"});
  // The client forged "203.0.113.9"; our proxy appended what it saw, 198.51.100.7, then an inner proxy.
  EXPECT_EQ(p.effective("10.0.0.1", "203.0.113.9, 198.51.100.7, 10.0.0.5"), "198.51.100.7");
  EXPECT_EQ(p.effective("10.0.0.1", "10.1.1.1,10.2.2.2"), "10.1.1.1") << "all trusted: the left-most";
  EXPECT_EQ(p.effective("10.0.0.1", "198.51.100.7, not-an-ip"), "10.0.0.1") << "malformed chain: the peer";
  EXPECT_EQ(p.effective("10.0.0.1", "198.51.100.7,,"), "10.0.0.1");
}

TEST(ClientAddress, Ipv6AndMappedAddresses) {
  const auto p = policy({"fd00::/8", "127.0.0.1"});
  EXPECT_EQ(p.effective("fd00::1", "2001:db8::7"), "2001:db8::7");
  EXPECT_EQ(p.effective("::ffff:127.0.0.1", "198.51.100.7"), "198.51.100.7");
  EXPECT_TRUE(p.is_trusted("fdff:ffff::1"));
  EXPECT_FALSE(p.is_trusted("fe00::1"));
  EXPECT_FALSE(p.is_trusted("127.0.0.2"));
}

TEST(ClientAddress, BadConfigurationNamesTheFlag) {
  for (const char* bad :
       {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/x", "lb.example.com", "", "1.2.3.4/-1"}) {
    const auto made = ClientAddressPolicy::make({bad}, "X-Forwarded-For");
    ASSERT_FALSE(made.ok()) << bad;
    EXPECT_EQ(made.error().field, "trusted-proxy") << bad;
  }
  for (const char* bad : {"", "X Forwarded", "X-Forwarded-For:", "é"}) {
    const auto made = ClientAddressPolicy::make({"127.0.0.1"}, bad);
    ASSERT_FALSE(made.ok()) << bad;
    EXPECT_EQ(made.error().field, "client-ip-header") << bad;
  }
  app::ServeOptions options;
  options.trusted_proxies = {"10.0.0.0/99"};
  EXPECT_EQ(app::validate(options).error().field, "trusted-proxy");
}

}  // namespace
}  // namespace balctl::http

namespace balctl::http {
namespace {

TEST(ResponseHead, StatusLineHeadersAndLengthOfTheBody) {
  Response response;
  response.status = 200;
  response.body = R"({"interval_ms":1000,"jobs":[]})";
  EXPECT_EQ(response_head(response, true),
            "HTTP/1.1 200 OK\r\nServer: balctl\r\nContent-Type: application/json\r\nContent-Length: 30\r\n\r\n");
}

TEST(ResponseHead, OwnHeadersAndConnectionCloseWhenNotKeptAlive) {
  Response response;
  response.status = 401;
  response.content_type = "text/plain";
  response.headers = {{"WWW-Authenticate", "Bearer"}, {"X-Balctl-Version", "0.1.0"}};
  EXPECT_EQ(response_head(response, false),
            "HTTP/1.1 401 Unauthorized\r\nServer: balctl\r\nContent-Type: text/plain\r\n"
            "WWW-Authenticate: Bearer\r\nX-Balctl-Version: 0.1.0\r\nContent-Length: 0\r\n"
            "Connection: close\r\n\r\n");
}

TEST(ResponseHead, ReasonPhrasesOfTheStatusesTheApiUses) {
  for (const auto& [status, line] : std::vector<std::pair<unsigned, std::string>>{
           {201, "HTTP/1.1 201 Created\r\n"},
           {404, "HTTP/1.1 404 Not Found\r\n"},
           {413, "HTTP/1.1 413 Payload Too Large\r\n"},
           {431, "HTTP/1.1 431 Request Header Fields Too Large\r\n"},
           {503, "HTTP/1.1 503 Service Unavailable\r\n"}}) {
    Response response;
    response.status = status;
    EXPECT_EQ(response_head(response, true).substr(0, line.size()), line) << status;
  }
}

}  // namespace
}  // namespace balctl::http
