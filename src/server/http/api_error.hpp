// ApiError is how a handler reports a client error: it is thrown, and the router turns it into a status
// code and the JSON body {"error": {"code", "message", "field"?}} in exactly one place.
#pragma once

#include <stdexcept>
#include <string>

#include "common/result.hpp"
#include "server/http/message.hpp"

namespace balctl::http {

class ApiError : public std::runtime_error {
 public:
  ApiError(unsigned status, std::string code, std::string message, std::string field = {});
  explicit ApiError(const Error& error);

  unsigned status() const { return status_; }
  const std::string& code() const { return code_; }
  const std::string& field() const { return field_; }

 private:
  unsigned status_;
  std::string code_;
  std::string field_;
};

unsigned status_for(Errc kind);
Response error_response(unsigned status, std::string_view code, std::string_view message,
                        std::string_view field = {});

// Unwraps a Result or throws its error as an ApiError.
template <class T>
T unwrap(Result<T> result) {
  if (!result) throw ApiError(result.error());
  return std::move(result).value();
}
inline void unwrap(Status status) {
  if (!status) throw ApiError(status.error());
}

}  // namespace balctl::http
