#include "common/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cmath>

namespace balctl::json {

Result<boost::json::object> parse_object(std::string_view text) {
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  boost::system::error_code ec;
  boost::json::value value = boost::json::parse(text, ec, {}, options);
  if (ec) {
    return Error{Errc::invalid_argument, "bad_json", "request body is not valid JSON: " + ec.message(), {}};
  }
  if (!value.is_object()) {
    return Error{Errc::invalid_argument, "bad_json", "request body must be a JSON object", {}};
  }
  return std::move(value.as_object());
}

std::string to_string(const boost::json::value& value) { return boost::json::serialize(value); }

FieldReader::FieldReader(const boost::json::object& object, std::string path_prefix)
    : object_(object), prefix_(std::move(path_prefix)) {}

std::string FieldReader::path_of(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

const boost::json::value* FieldReader::find(std::string_view key) const {
  const auto* value = object_.if_contains(key);
  if (value == nullptr || value->is_null()) return nullptr;
  return value;
}

void FieldReader::fail(std::string_view key, std::string message) {
  if (!error_) error_ = Error::invalid(path_of(key), std::move(message));
}

void FieldReader::fail_type(std::string_view key, std::string_view expected) {
  fail(key, "field '" + path_of(key) + "' must be " + std::string(expected));
}

void FieldReader::absorb(const FieldReader& nested) {
  if (!error_ && nested.error_) error_ = nested.error_;
}

std::optional<std::string> FieldReader::optional_string(std::string_view key, std::size_t max_length) {
  const auto* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    fail_type(key, "a string");
    return std::nullopt;
  }
  const auto& text = value->get_string();
  if (text.size() > max_length) {
    fail(key, "field '" + path_of(key) + "' is longer than " + std::to_string(max_length) + " characters");
    return std::nullopt;
  }
  return std::string(text);
}

std::string FieldReader::required_string(std::string_view key, std::size_t max_length) {
  if (find(key) == nullptr) {
    if (!error_) error_ = Error::missing(path_of(key));
    return {};
  }
  return optional_string(key, max_length).value_or(std::string{});
}

std::optional<std::int64_t> FieldReader::optional_int(std::string_view key, std::int64_t min, std::int64_t max) {
  const auto* value = find(key);
  if (value == nullptr) return std::nullopt;
  std::int64_t number = 0;
  if (value->is_int64()) {
    number = value->get_int64();
  } else if (value->is_uint64() && value->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    number = static_cast<std::int64_t>(value->get_uint64());
  } else if (value->is_double() && std::trunc(value->get_double()) == value->get_double() &&
             std::abs(value->get_double()) < 9e15) {
    number = static_cast<std::int64_t>(value->get_double());
  } else {
    fail_type(key, "an integer");
    return std::nullopt;
  }
  if (number < min || number > max) {
    fail(key, "field '" + path_of(key) + "' must be between " + std::to_string(min) + " and " +
                  std::to_string(max));
    return std::nullopt;
  }
  return number;
}

std::int64_t FieldReader::required_int(std::string_view key, std::int64_t min, std::int64_t max) {
  if (find(key) == nullptr) {
    if (!error_) error_ = Error::missing(path_of(key));
    return min;
  }
  return optional_int(key, min, max).value_or(min);
}

std::optional<double> FieldReader::optional_number(std::string_view key, double min, double max) {
  const auto* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number()) {
    fail_type(key, "a number");
    return std::nullopt;
  }
  const double number = value->to_number<double>();
  if (!std::isfinite(number) || number < min || number > max) {
    fail(key, "field '" + path_of(key) + "' is out of range");
    return std::nullopt;
  }
  return number;
}

std::optional<bool> FieldReader::optional_bool(std::string_view key) {
  const auto* value = find(key);
  if (value == nullptr) return std::nullopt;
  if (!value->is_bool()) {
    fail_type(key, "true or false");
    return std::nullopt;
  }
  return value->get_bool();
}

const boost::json::object* FieldReader::optional_object(std::string_view key) {
  const auto* value = find(key);
  if (value == nullptr) return nullptr;
  if (!value->is_object()) {
    fail_type(key, "an object");
    return nullptr;
  }
  return &value->get_object();
}

const boost::json::array* FieldReader::optional_array(std::string_view key, std::size_t max_items) {
  const auto* value = find(key);
  if (value == nullptr) return nullptr;
  if (!value->is_array()) {
    fail_type(key, "an array");
    return nullptr;
  }
  if (value->get_array().size() > max_items) {
    fail(key, "field '" + path_of(key) + "' has more than " + std::to_string(max_items) + " items");
    return nullptr;
  }
  return &value->get_array();
}

}  // namespace balctl::json
