#include "server/api/handler_support.hpp"

#include <boost/json/serialize.hpp>

#include <charconv>

#include "common/json.hpp"
#include "server/http/api_error.hpp"

namespace balctl::api {

std::string require_admin(const auth::AdminTokens& tokens, const http::Request& request) {
  const auto token = request.bearer_token();
  if (token.empty()) {
    throw http::ApiError(401, "unauthorized", "missing API token: send 'Authorization: Bearer <token>'");
  }
  return "admin:" + http::unwrap(tokens.authenticate(token));
}

boost::json::object body_object(const http::Request& request, bool allow_empty) {
  if (allow_empty && request.body.find_first_not_of(" \t\r\n") == std::string::npos) return {};
  return http::unwrap(json::parse_object(request.body));
}

std::int64_t query_int(const http::Request& request, std::string_view name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max) {
  const auto text = request.query_param(name);
  if (!text) return fallback;
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || value < min || value > max) {
    throw http::ApiError(400, "invalid_field",
                         "query parameter '" + std::string(name) + "' must be an integer between " +
                             std::to_string(min) + " and " + std::to_string(max),
                         std::string(name));
  }
  return value;
}

bool query_bool(const http::Request& request, std::string_view name) {
  const auto text = request.query_param(name);
  if (!text || *text == "false" || *text == "0") return false;
  if (*text == "true" || *text == "1") return true;
  throw http::ApiError(400, "invalid_field", "query parameter '" + std::string(name) + "' must be true or false",
                       std::string(name));
}

const std::string& path_param(const http::PathParams& params, std::string_view name) {
  const auto it = params.find(name);
  if (it == params.end()) throw std::logic_error("route has no parameter " + std::string(name));
  return it->second;
}

http::Response reply(unsigned status, const boost::json::object& body) {
  return http::json_response(status, boost::json::serialize(body));
}

}  // namespace balctl::api
