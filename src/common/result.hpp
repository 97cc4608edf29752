// Result<T>: the error channel between modules (store, services, DNS, collectors).
// Exceptions are kept for programmer errors and start-up failures; everything a caller is expected to
// handle comes back as an Error value.
#pragma once

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace balctl {

// Broad error kinds; the HTTP layer maps each kind to one status code.
enum class Errc {
  invalid_argument,  // 400: a field or flag has a wrong value
  unauthorized,      // 401: missing or wrong credentials
  forbidden,         // 403: credentials fine, action not allowed
  not_found,         // 404
  conflict,          // 409: the thing exists / is in use / state does not allow it
  too_large,         // 413
  unavailable,       // 503: a dependency is down, retry later
  internal,          // 500: a bug or an I/O failure on our side
};

struct Error {
  Errc kind = Errc::internal;
  std::string code;     // machine-readable, e.g. "pool_not_found"
  std::string message;  // one sentence for a human
  std::string field;    // the offending input field, when there is one

  static Error invalid(std::string field, std::string message) {
    return {Errc::invalid_argument, "invalid_field", std::move(message), std::move(field)};
  }
  static Error missing(std::string field) {
    std::string message = "field '" + field + "' is required";
    return {Errc::invalid_argument, "missing_field", std::move(message), std::move(field)};
  }
  static Error not_found(std::string code, std::string message) {
    return {Errc::not_found, std::move(code), std::move(message), {}};
  }
  static Error conflict(std::string code, std::string message) {
    return {Errc::conflict, std::move(code), std::move(message), {}};
  }
  static Error internal(std::string message) { return {Errc::internal, "internal", std::move(message), {}}; }
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  bool ok() const { return state_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(state_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(state_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(state_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(state_);
  }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const {
    assert(failed_);
    return error_;
  }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace balctl
