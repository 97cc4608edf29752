#include "server/http/api_error.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>

namespace balctl::http {
namespace {

// what() is a C string: a message quoting input with a NUL in it would end there, hiding the rest (and
// the reason). The NUL is spelled out instead, as JSON would write it.
std::string spell_out_nul(std::string text) {
  for (auto at = text.find('\0'); at != std::string::npos; at = text.find('\0', at + 6)) {
    text.replace(at, 1, "\\u0000");
  }
  return text;
}

}  // namespace

ApiError::ApiError(unsigned status, std::string code, std::string message, std::string field)
    : std::runtime_error(spell_out_nul(std::move(message))),
      status_(status),
      code_(std::move(code)),
      field_(spell_out_nul(std::move(field))) {}

ApiError::ApiError(const Error& error) : ApiError(status_for(error.kind), error.code, error.message, error.field) {}

unsigned status_for(Errc kind) {
  switch (kind) {
    case Errc::invalid_argument: return 400;
    case Errc::unauthorized: return 401;
    case Errc::forbidden: return 403;
    case Errc::not_found: return 404;
    case Errc::conflict: return 409;
    case Errc::too_large: return 413;
    case Errc::unavailable: return 503;
    case Errc::internal: break;
  }
  return 500;
}

Response error_response(unsigned status, std::string_view code, std::string_view message, std::string_view field) {
  boost::json::object error{{"code", code}, {"message", message}};
  if (!field.empty()) error["field"] = field;
  Response response;
  response.status = status;
  response.body = boost::json::serialize(boost::json::object{{"error", std::move(error)}});
  if (status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace balctl::http
