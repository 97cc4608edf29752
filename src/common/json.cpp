#include "common/json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <cmath>
#include <functional>
#include <unordered_map>

namespace balctl::json {

namespace {

// The keys of every object open during a parse, innermost last, to find a key given twice. Boost.JSON
// keeps the last of duplicates silently; a request body that says two things about one field is refused
// instead (a proxy or a WAF may have read the other one). Small objects are scanned; an object with many
// keys gets a hash index, so a body of 100 000 keys costs no more than one of 100.
class OpenKeys {
 public:
  // A heartbeat has ~150 keys: room for them up front instead of a dozen regrowths.
  OpenKeys() {
    entries_.reserve(256);
    chars_.reserve(2048);
  }
  void open() { levels_.push_back({entries_.size(), chars_.size(), {}}); }
  void close() {
    entries_.resize(levels_.back().first_entry);
    chars_.resize(levels_.back().first_char);
    levels_.pop_back();
  }
  // False when the innermost open object already has `key`.
  bool insert(std::string_view key) {
    Level& level = levels_.back();
    const std::size_t hash = std::hash<std::string_view>{}(key);
    if (entries_.size() - level.first_entry >= kScanLimit && level.index.empty()) {
      for (std::size_t i = level.first_entry; i < entries_.size(); ++i) {
        level.index.emplace(entries_[i].hash, i);
      }
    }
    if (level.index.empty()) {
      for (std::size_t i = level.first_entry; i < entries_.size(); ++i) {
        if (entries_[i].hash == hash && text_of(entries_[i]) == key) return false;
      }
    } else {
      const auto [first, last] = level.index.equal_range(hash);
      for (auto it = first; it != last; ++it) {
        if (text_of(entries_[it->second]) == key) return false;
      }
    }
    entries_.push_back({hash, chars_.size(), key.size()});
    chars_.append(key);
    if (!level.index.empty()) level.index.emplace(hash, entries_.size() - 1);
    return true;
  }

 private:
  static constexpr std::size_t kScanLimit = 16;
  struct Entry {
    std::size_t hash;
    std::size_t offset;  // into chars_, which may move: no string_view is kept
    std::size_t size;
  };
  struct Level {
    std::size_t first_entry;
    std::size_t first_char;
    std::unordered_multimap<std::size_t, std::size_t> index;  // hash -> entry, for large objects only
  };
  std::string_view text_of(const Entry& entry) const {
    return std::string_view(chars_).substr(entry.offset, entry.size);
  }

  std::string chars_;
  std::vector<Entry> entries_;
  std::vector<Level> levels_;
};

// Boost.JSON's own value-building handler (value_stack), plus the duplicate check.
class CheckedHandler {
 public:
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  CheckedHandler(unsigned char* temp, std::size_t size) : stack(boost::json::storage_ptr(), temp, size) {}

  boost::json::value_stack stack;
  std::optional<std::string> duplicate;

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    keys_.open();
    return true;
  }
  bool on_object_end(std::size_t n, boost::system::error_code&) {
    keys_.close();
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t n, boost::system::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    key_.append(s.data(), s.size());
    stack.push_chars(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    key_.append(s.data(), s.size());
    if (!keys_.insert(key_)) {
      duplicate = std::move(key_);
      ec = boost::json::error::syntax;  // stops the parse; `duplicate` says why
      return false;
    }
    key_.clear();
    stack.push_key(s);
    return true;
  }
  bool on_string_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    stack.push_chars(s);
    return true;
  }
  bool on_string(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    stack.push_string(s);
    return true;
  }
  bool on_number_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_int64(std::int64_t i, boost::json::string_view, boost::system::error_code&) {
    stack.push_int64(i);
    return true;
  }
  bool on_uint64(std::uint64_t u, boost::json::string_view, boost::system::error_code&) {
    stack.push_uint64(u);
    return true;
  }
  bool on_double(double d, boost::json::string_view, boost::system::error_code&) {
    stack.push_double(d);
    return true;
  }
  bool on_bool(bool b, boost::system::error_code&) {
    stack.push_bool(b);
    return true;
  }
  bool on_null(boost::system::error_code&) {
    stack.push_null();
    return true;
  }
  bool on_comment_part(boost::json::string_view, boost::system::error_code&) { return true; }
  bool on_comment(boost::json::string_view, boost::system::error_code&) { return true; }

 private:
  OpenKeys keys_;
  std::string key_;
};

}  // namespace

Result<boost::json::object> parse_object(std::string_view text, boost::json::storage_ptr storage) {
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  unsigned char temp[4096];
  boost::json::basic_parser<CheckedHandler> parser(options, temp, sizeof temp);
  parser.handler().stack.reset(std::move(storage));
  boost::system::error_code ec;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), ec);
  if (!ec && used < text.size()) ec = boost::json::error::extra_data;
  if (const auto& duplicate = parser.handler().duplicate) {
    constexpr std::size_t kShownBytes = 64;
    const std::string shown =
        duplicate->size() > kShownBytes ? duplicate->substr(0, kShownBytes) + "..." : *duplicate;
    return Error{Errc::invalid_argument, "duplicate_key", "duplicate key '" + shown + "'", {}};
  }
  if (ec) {
    return Error{Errc::invalid_argument, "bad_json", "request body is not valid JSON: " + ec.message(), {}};
  }
  boost::json::value value = parser.handler().stack.release();
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
