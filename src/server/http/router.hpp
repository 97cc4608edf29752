// Maps "METHOD /path/{param}" to a handler. Dispatch catches ApiError (client errors) and any other
// exception (a bug: 500, logged) so a bad request never takes the process down.
#pragma once

#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/http/message.hpp"

namespace balctl::http {

using PathParams = std::map<std::string, std::string, std::less<>>;
using Handler = std::function<Response(const Request&, const PathParams&)>;

class Router {
 public:
  // pattern: "/api/v1/pools/{pool}/members/{host}"; segments in braces capture one path segment.
  void add(Method method, std::string_view pattern, Handler handler);
  Response dispatch(const Request& request) const;

 private:
  struct Route {
    Method method;
    std::vector<std::string> segments;
    Handler handler;
  };
  static bool match(const Route& route, const std::vector<std::string_view>& path, PathParams& params);

  std::vector<Route> routes_;
};

// JSON response helpers used by handlers.
Response json_response(unsigned status, const std::string& body);

}  // namespace balctl::http
