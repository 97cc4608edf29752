#include "server/http/router.hpp"

#include <spdlog/spdlog.h>

#include "server/http/api_error.hpp"

namespace balctl::http {
namespace {

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

}  // namespace

void Router::add(Method method, std::string_view pattern, Handler handler) {
  Route route{method, {}, std::move(handler)};
  for (const auto part : split_path(pattern)) route.segments.emplace_back(part);
  routes_.push_back(std::move(route));
}

bool Router::match(const Route& route, const std::vector<std::string_view>& path, PathParams& params) {
  if (route.segments.size() != path.size()) return false;
  params.clear();
  for (std::size_t i = 0; i < path.size(); ++i) {
    const std::string& segment = route.segments[i];
    if (segment.size() > 2 && segment.front() == '{' && segment.back() == '}') {
      params.emplace(segment.substr(1, segment.size() - 2), std::string(path[i]));
    } else if (segment != path[i]) {
      return false;
    }
  }
  return true;
}

Response Router::dispatch(const Request& request) const {
  const auto path = split_path(request.path);
  PathParams params;
  bool path_known = false;
  for (const auto& route : routes_) {
    if (!match(route, path, params)) continue;
    path_known = true;
    if (route.method != request.method) continue;
    try {
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
