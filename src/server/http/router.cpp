#include "server/http/router.hpp"

#include <spdlog/spdlog.h>

#include "server/http/api_error.hpp"

namespace balctl::http {
namespace {

// Splits on '/' only; the segments are still percent-encoded, so an encoded "%2F" stays inside its
// segment instead of becoming a separator (issue 13 item 9).
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '/') {
      ++pos;
      continue;
    }
    const auto next = path.find('/', pos);
    const auto end = next == std::string_view::npos ? path.size() : next;
    parts.push_back(path.substr(pos, end - pos));
    pos = end;
  }
  return parts;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_parameter(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

std::optional<std::string> decode_segment(std::string_view segment) {
  std::string out;
  out.reserve(segment.size());
  for (std::size_t i = 0; i < segment.size(); ++i) {
    if (segment[i] != '%') {
      out += segment[i];
      continue;
    }
    if (i + 2 >= segment.size()) return std::nullopt;
    const int high = hex_value(segment[i + 1]);
    const int low = hex_value(segment[i + 2]);
    if (high < 0 || low < 0) return std::nullopt;
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

void Router::add(Method method, std::string_view pattern, Handler handler) {
  Route route{method, {}, std::move(handler)};
  for (const auto part : split_path(pattern)) route.segments.emplace_back(part);
  routes_.push_back(std::move(route));
}

bool Router::match(const Route& route, const std::vector<std::string>& path, PathParams& params) {
  if (route.segments.size() != path.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < path.size(); ++i) {
    const std::string& segment = route.segments[i];
    if (is_parameter(segment)) {
      params.emplace(segment.substr(1, segment.size() - 2), path[i]);
    } else if (segment != path[i]) {
      return false;
    }
  }
  return true;
}

// A decoded parameter may not hold what the encoding was hiding: a '/' (it would name another resource
// when the value is put back into a path or compared with one) or a NUL (C strings end there).
void Router::check_parameters(const Route& route, const PathParams& params) {
  for (const auto& segment : route.segments) {
    if (!is_parameter(segment)) continue;
    const std::string name = segment.substr(1, segment.size() - 2);
    const std::string& value = params.find(name)->second;
    if (value.find('/') != std::string::npos || value.find('\0') != std::string::npos) {
      throw ApiError(400, "invalid_field", "path parameter '" + name + "' may not contain '/' or NUL", name);
    }
  }
}

// Replies of the API can carry tokens, enrolment keys and member secrets (create, rekey, enrol): no cache
// on the way (a proxy, a browser) may keep them. Simplest and safe: every /api/ reply says so.
Response Router::dispatch(const Request& request) const {
  Response response = route(request);
  if (request.path.rfind("/api/", 0) == 0) response.headers.emplace_back("Cache-Control", "no-store");
  return response;
}

Response Router::route(const Request& request) const {
  std::vector<std::string> path;
  for (const auto raw : split_path(request.path)) {
    auto decoded = decode_segment(raw);
    if (!decoded) return error_response(400, "bad_request", "malformed percent-encoding in the path", "path");
    path.push_back(std::move(*decoded));
  }
  PathParams params;
  bool path_known = false;
  for (const auto& route : routes_) {
    if (!match(route, path, params)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    try {
      check_parameters(route, params);
      return route.handler(request, params);
    } catch (const ApiError& error) {
      return error_response(error.status(), error.code(), error.what(), error.field());
    } catch (const std::exception& error) {
      spdlog::error("handler_failed path={} error=\"{}\"", request.path, error.what());
      return error_response(500, "internal", "internal error; see the server log");
    }
  }
  if (path_known) return error_response(405, "method_not_allowed", "method not allowed on " + request.path);
  return error_response(404, "not_found", "no such endpoint: " + request.path);
}

Response json_response(unsigned status, const std::string& body) {
  Response response;
  response.status = status;
  response.body = body;
  return response;
}

}  // namespace balctl::http
