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

// Messages quote the client's input, and a percent-decoded path may hold any byte: Boost.JSON writes
// strings as they are, so an invalid UTF-8 sequence would make the error body invalid JSON. Each byte
// that does not start a well-formed sequence (RFC 3629: no overlongs, surrogates or code points above
// U+10FFFF) becomes U+FFFD.
std::string valid_utf8(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  std::size_t i = 0;
  while (i < text.size()) {
    const auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = 0;
    unsigned char low = 0x80;  // allowed range of the second byte
    unsigned char high = 0xBF;
    if (byte < 0x80) {
      length = 1;
    } else if (byte >= 0xC2 && byte <= 0xDF) {
      length = 2;
    } else if (byte >= 0xE0 && byte <= 0xEF) {
      length = 3;
      if (byte == 0xE0) low = 0xA0;
      if (byte == 0xED) high = 0x9F;
    } else if (byte >= 0xF0 && byte <= 0xF4) {
      length = 4;
      if (byte == 0xF0) low = 0x90;
      if (byte == 0xF4) high = 0x8F;
    }
    bool ok = length > 0 && i + length <= text.size();
    for (std::size_t k = 1; ok && k < length; ++k) {
      const auto next = static_cast<unsigned char>(text[i + k]);
      ok = k == 1 ? next >= low && next <= high : next >= 0x80 && next <= 0xBF;
    }
    if (ok) {
      out.append(text.substr(i, length));
      i += length;
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  return out;
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
  boost::json::object error{{"code", valid_utf8(code)}, {"message", valid_utf8(message)}};
  if (!field.empty()) error["field"] = valid_utf8(field);
  Response response;
  response.status = status;
  response.body = boost::json::serialize(boost::json::object{{"error", std::move(error)}});
  if (status == 401) response.headers.emplace_back("WWW-Authenticate", "Bearer");
  return response;
}

}  // namespace balctl::http
