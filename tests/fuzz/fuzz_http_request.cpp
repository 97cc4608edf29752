// Raw bytes on a control-plane connection, as session.cpp reads them: Beast's request parser with the
// server's header and body limits, then split_target, the client-address header, the router with the
// API's route table, and the response head. The glue mirrors Session::parse_buffered/handle_request
// (which needs a socket); everything it calls is the server's own code. The first byte picks how the
// bytes arrive (the chunk size), so the parser's need_more paths are covered as well; a connection may
// carry several pipelined requests.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "common/json.hpp"
#include "fuzz_check.hpp"
#include "server/fleet/specs.hpp"
#include "server/http/api_error.hpp"
#include "server/http/client_address.hpp"
#include "server/http/message.hpp"
#include "server/http/router.hpp"

namespace {

namespace bhttp = boost::beast::http;
using namespace balctl;
using namespace balctl::http;

// Smaller than the server's (1 MiB, 16 KiB) so that inputs of libFuzzer's usual length reach both limits.
constexpr std::size_t kMaxBodyBytes = 1024;
constexpr std::size_t kMaxHeaderBytes = 2048;
constexpr int kMaxRequestsPerConnection = 8;

// A handler in the shape of the real ones: validate the path parameters, parse a JSON body when there is
// one, throw ApiError for the client's mistakes.
Response handle(const Request& request, const PathParams& params) {
  for (const auto& [name, value] : params) {
    FUZZ_CHECK(!value.empty());
    const auto valid = name == "host" ? fleet::parse_member_hostname(value) : fleet::parse_pool_name(value);
    if (!valid) throw ApiError(400, valid.error().code, valid.error().message, name);
  }
  if (!request.body.empty()) {
    const auto body = json::parse_object(request.body);
    if (!body) throw ApiError(400, body.error().code, body.error().message, body.error().field);
  }
  (void)request.bearer_token();
  (void)request.query_param("limit");
  return json_response(200, "{}");
}

const Router& router() {
  static const Router table = [] {
    Router r;
    static constexpr std::array<std::pair<Method, const char*>, 34> kRoutes = {{
        {Method::get, "/healthz"},
        {Method::get, "/api/v1/status"},
        {Method::get, "/api/v1/events"},
        {Method::post, "/api/v1/agent/enrol"},
        {Method::post, "/api/v1/agent/heartbeat"},
        {Method::get, "/api/v1/agent/download"},
        {Method::get, "/api/v1/agent/install.sh"},
        {Method::get, "/api/v1/agent/ca.pem"},
        {Method::get, "/api/v1/agent/balctl-heartbeat.service"},
        {Method::get, "/api/v1/alerts"},
        {Method::post, "/api/v1/alerts"},
        {Method::del, "/api/v1/alerts/{name}"},
        {Method::post, "/api/v1/alerts/{name}/test"},
        {Method::get, "/api/v1/tokens"},
        {Method::post, "/api/v1/tokens"},
        {Method::del, "/api/v1/tokens/{name}"},
        {Method::get, "/api/v1/pools"},
        {Method::post, "/api/v1/pools"},
        {Method::get, "/api/v1/pools/{pool}"},
        {Method::patch, "/api/v1/pools/{pool}"},
        {Method::del, "/api/v1/pools/{pool}"},
        {Method::get, "/api/v1/pools/{pool}/dns"},
        {Method::put, "/api/v1/pools/{pool}/dns"},
        {Method::del, "/api/v1/pools/{pool}/dns"},
        {Method::get, "/api/v1/pools/{pool}/dns/check"},
        {Method::post, "/api/v1/pools/{pool}/failover"},
        {Method::post, "/api/v1/pools/{pool}/failover/cancel"},
        {Method::post, "/api/v1/pools/{pool}/failover/retry"},
        {Method::get, "/api/v1/pools/{pool}/members"},
        {Method::post, "/api/v1/pools/{pool}/members"},
        {Method::get, "/api/v1/pools/{pool}/members/{host}"},
        {Method::del, "/api/v1/pools/{pool}/members/{host}"},
        {Method::post, "/api/v1/pools/{pool}/members/{host}/enrollment-key"},
        {Method::post, "/api/v1/pools/{pool}/members/{host}/maintenance"},
    }};
    for (const auto& [method, pattern] : kRoutes)
      r.add(method, pattern, handle);
    return r;
  }();
  return table;
}

const ClientAddressPolicy& client_address() {
  static const ClientAddressPolicy policy = *ClientAddressPolicy::make({"127.0.0.0/8"}, "X-Forwarded-For");
  return policy;
}

// The head must be one status line and headers, ended by the one blank line: a CR or LF that slipped
// into a header value (from a path in an error message, say) would split the response.
void check_response(const Response& response, bool keep_alive) {
  FUZZ_CHECK(response.status >= 200 && response.status <= 599);
  const std::string head = response_head(response, keep_alive);
  FUZZ_CHECK(head.size() >= 4 && head.compare(head.size() - 4, 4, "\r\n\r\n") == 0);
  FUZZ_CHECK(head.find("\r\n\r\n") == head.size() - 4);
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '\n') FUZZ_CHECK(i > 0 && head[i - 1] == '\r');
    if (head[i] == '\r') FUZZ_CHECK(i + 1 < head.size() && head[i + 1] == '\n');
  }
  if (response.content_type == "application/json") FUZZ_CHECK(json::parse_object(response.body).ok());
}

// Session::handle_request, minus the socket. Returns whether the connection would be kept open.
bool handle_request(bhttp::request_parser<bhttp::string_body>& parser) {
  auto& message = parser.get();
  Request request;
  request.method = method_of(message.method());
  auto target = split_target(message.target());
  if (!target) {
    check_response(error_response(400, "bad_request", "malformed request target"), false);
    return false;
  }
  request.path = std::move(target->first);
  request.query = std::move(target->second);
  request.authorization = std::string(message[bhttp::field::authorization]);
  request.content_type = std::string(message[bhttp::field::content_type]);
  request.remote_address = client_address().effective("127.0.0.1", message[client_address().header()]);
  FUZZ_CHECK(!request.remote_address.empty());
  request.body = std::move(message.body());
  const bool keep_alive = message.keep_alive();
  check_response(router().dispatch(request), keep_alive);
  return keep_alive;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::size_t chunk = 1 + (data[0] % 4 == 0 ? size : data[0] % 61);
  const char* input = reinterpret_cast<const char*>(data) + 1;
  const std::size_t input_size = size - 1;
  std::size_t delivered = 0;  // bytes "read from the socket" so far
  boost::beast::flat_buffer buffer;
  for (int requests = 0; requests < kMaxRequestsPerConnection; ++requests) {
    bhttp::request_parser<bhttp::string_body> parser;
    parser.body_limit(kMaxBodyBytes);
    parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBytes));
    boost::beast::error_code ec;
    for (;;) {  // Session::parse_buffered and on_read_some
      while (buffer.size() > 0) {
        ec = {};
        const std::size_t used = parser.put(buffer.data(), ec);
        buffer.consume(used);
        if (ec == bhttp::error::need_more) break;
        if (ec || parser.is_done() || used == 0) break;
      }
      if ((ec && ec != bhttp::error::need_more) || parser.is_done()) break;
      if (delivered == input_size) {  // the client closed
        if (!parser.got_some()) return 0;
        ec = {};
        parser.put_eof(ec);
        if (!ec && !parser.is_done()) ec = bhttp::error::partial_message;
        break;
      }
      const std::size_t n = std::min(chunk, input_size - delivered);
      auto space = buffer.prepare(n);
      std::memcpy(space.data(), input + delivered, n);
      buffer.commit(n);
      delivered += n;
    }
    if (ec == bhttp::error::body_limit || ec == bhttp::error::header_limit) {
      return 0;  // 413 / 431 and close
    }
    if (ec) return 0;  // 400 or a closed connection
    FUZZ_CHECK(parser.get().body().size() <= kMaxBodyBytes);
    if (!handle_request(parser)) return 0;
  }
  return 0;
}
