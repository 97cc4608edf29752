// JSON helpers on top of Boost.JSON: parsing with explicit limits, and FieldReader, which reads typed
// fields out of an object and remembers the first problem with the field's full path ("haproxy.state").
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace balctl::json {

inline constexpr std::size_t kMaxDepth = 16;

// Parses text that must be a JSON object. Errors are "bad_json" (with the reason) or "duplicate_key"
// ("duplicate key 'x'": an object that names a key twice is refused, not resolved by Boost's last-wins).
// The tree is allocated from `storage` (the default heap when null), e.g. a per-request arena.
Result<boost::json::object> parse_object(std::string_view text, boost::json::storage_ptr storage = {});

// Serialises compactly.
std::string to_string(const boost::json::value& value);

class FieldReader {
 public:
  explicit FieldReader(const boost::json::object& object, std::string path_prefix = {});

  std::string required_string(std::string_view key, std::size_t max_length = 255);
  std::optional<std::string> optional_string(std::string_view key, std::size_t max_length = 255);
  std::int64_t required_int(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<std::int64_t> optional_int(std::string_view key, std::int64_t min, std::int64_t max);
  std::optional<double> optional_number(std::string_view key, double min, double max);
  std::optional<bool> optional_bool(std::string_view key);
  // Returns nullptr when absent (or wrong type, which is recorded as an error).
  const boost::json::object* optional_object(std::string_view key);
  const boost::json::array* optional_array(std::string_view key, std::size_t max_items);

  // Lets callers record their own validation failure against a key, e.g. an invalid IPv4 address.
  void fail(std::string_view key, std::string message);
  std::string path_of(std::string_view key) const;

  bool ok() const { return !error_.has_value(); }
  const Error& error() const { return *error_; }
  // Merges a nested reader's first error into this one.
  void absorb(const FieldReader& nested);

 private:
  const boost::json::value* find(std::string_view key) const;
  void fail_type(std::string_view key, std::string_view expected);

  const boost::json::object& object_;
  std::string prefix_;
  std::optional<Error> error_;
};

}  // namespace balctl::json
