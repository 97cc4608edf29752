// The request and response that handlers see. Deliberately free of Boost.Beast so that handlers and the
// router compile fast and can be unit-tested without a socket; session.cpp converts at the edge.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/beast/http/verb.hpp>

namespace balctl::http {

enum class Method { get, post, put, patch, del, other };

struct Request {
  Method method = Method::get;
  std::string path;                          // without the query string, still percent-encoded
  std::map<std::string, std::string> query;  // decoded query parameters
  std::string authorization;                 // raw Authorization header
  std::string content_type;
  std::string remote_address;  // peer IP of the TCP connection
  std::string body;

  std::optional<std::string_view> query_param(std::string_view name) const;
  // The token of "Authorization: Bearer <token>", or empty.
  std::string_view bearer_token() const;
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;
  // A large immutable body shared by many responses (the agent binary), written without a copy and kept
  // alive until written; when set, `body` is not sent.
  std::shared_ptr<const std::string> shared_body;
  // Held until the response has been written or the connection dropped (a slot of a concurrency cap).
  std::shared_ptr<const void> hold_until_written;

  std::string_view body_view() const { return shared_body ? std::string_view(*shared_body) : body; }
};

// The status line and headers of `response` (Server, Content-Type, its own headers, Content-Length, and
// Connection: close unless `keep_alive`), ending with the blank line; the body goes right after it.
// Beast's verb as the router's method (verbs the API does not use are `other`).
Method method_of(boost::beast::http::verb verb);

std::string response_head(const Response& response, bool keep_alive);

// Splits "/a/b?x=1&y=2" into the path, still percent-encoded (the router decodes each segment after
// splitting it), and the decoded query map; nullopt when the target or its percent-encoding is malformed.
std::optional<std::pair<std::string, std::map<std::string, std::string>>> split_target(
    std::string_view target);

}  // namespace balctl::http
