// Small helpers every handler uses: authenticate, parse the body, read query parameters, reply.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "server/auth/admin_tokens.hpp"
#include "server/http/message.hpp"
#include "server/http/router.hpp"

namespace balctl::api {

// "admin:<token name>" for a valid bearer token; throws ApiError 401 otherwise.
std::string require_admin(const auth::AdminTokens& tokens, const http::Request& request);

// The body as a JSON object; throws ApiError 400 (bad_json) otherwise. An empty body is {} when allowed.
boost::json::object body_object(const http::Request& request, bool allow_empty = false);

std::int64_t query_int(const http::Request& request, std::string_view name, std::int64_t fallback, std::int64_t min,
                       std::int64_t max);
bool query_bool(const http::Request& request, std::string_view name);
const std::string& path_param(const http::PathParams& params, std::string_view name);

http::Response reply(unsigned status, const boost::json::object& body);

}  // namespace balctl::api
