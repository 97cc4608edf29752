// Maps "METHOD /path/{param}" to a handler. Dispatch catches ApiError (client errors) and any other
// exception (a bug: 500, logged) so a bad request never takes the process down.
#pragma once

#include <functional>
#include <map>
#include <optional>
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
  // Request paths are split on '/' while still percent-encoded, then each segment is decoded: a bad
  // escape is 400 (field "path"), a parameter decoding to something with '/' or NUL is 400 naming it.
  void add(Method method, std::string_view pattern, Handler handler);
  // Every reply under /api/ carries Cache-Control: no-store.
  Response dispatch(const Request& request) const;

 private:
  struct Route {
    Method method;
    std::vector<std::string> segments;
    Handler handler;
  };
  Response route(const Request& request) const;
  static bool match(const Route& route, const std::vector<std::string>& path, PathParams& params);
  static void check_parameters(const Route& route, const PathParams& params);

  std::vector<Route> routes_;
};

// Percent-decodes one path segment; nullopt for a malformed escape ("%", "%4", "%zz").
std::optional<std::string> decode_segment(std::string_view segment);

// JSON response helpers used by handlers.
Response json_response(unsigned status, const std::string& body);

}  // namespace balctl::http
