#include "common/json.hpp"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/error.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_stack.hpp>

#include <array>
#include <cmath>
#include <cstddef>
#include <functional>
#include <memory>
#include <memory_resource>
#include <string>
#include <unordered_map>
#include <vector>

namespace balctl::json {

namespace {

// The keys of every object open during a parse, innermost last, to find a key given twice. Boost.JSON
// keeps the last of duplicates silently; a request body that says two things about one field is refused
// instead (a proxy or a WAF may have read the other one). Used only to name the key once a duplicate is
// known to exist (parse_object). Small objects are scanned; an object with many keys gets a hash index,
// so 100 000 keys in one object are not a quadratic cost.
class OpenKeys {
 public:
  // A body of a few hundred keys fits in buffer_, on the stack.
  OpenKeys() : arena_(buffer_.data(), buffer_.size()), chars_(&arena_), entries_(&arena_) {
    levels_.reserve(kMaxDepth + 1);
    chars_.reserve(2048);
    entries_.reserve(192);
  }
  void open() { levels_.push_back({entries_.size(), chars_.size(), nullptr}); }
  void close() {
    entries_.resize(levels_.back().first_entry);
    chars_.resize(levels_.back().first_char);
    levels_.pop_back();
  }
  // False when the innermost open object already has `key`.
  bool insert(std::string_view key) {
    Level& level = levels_.back();
    if (entries_.size() - level.first_entry >= kScanLimit && !level.index) {
      level.index = std::make_unique<std::unordered_multimap<std::size_t, std::size_t>>();
      for (std::size_t i = level.first_entry; i < entries_.size(); ++i) {
        level.index->emplace(std::hash<std::string_view>{}(text_of(entries_[i])), i);
      }
    }
    if (!level.index) {
      // Most objects have a handful of keys: comparing them is cheaper than hashing.
      for (std::size_t i = level.first_entry; i < entries_.size(); ++i) {
        if (entries_[i].size == key.size() && text_of(entries_[i]) == key) return false;
      }
    } else {
      const std::size_t hash = std::hash<std::string_view>{}(key);
      const auto [first, last] = level.index->equal_range(hash);
      for (auto it = first; it != last; ++it) {
        if (text_of(entries_[it->second]) == key) return false;
      }
      level.index->emplace(hash, entries_.size());
    }
    entries_.push_back({chars_.size(), key.size()});
    chars_.append(key);
    return true;
  }

 private:
  static constexpr std::size_t kScanLimit = 16;
  struct Entry {
    std::size_t offset;  // into chars_, which may move: no string_view is kept
    std::size_t size;
  };
  struct Level {
    std::size_t first_entry;
    std::size_t first_char;
    // hash -> entry, for objects with many keys only
    std::unique_ptr<std::unordered_multimap<std::size_t, std::size_t>> index;
  };
  std::string_view text_of(const Entry& entry) const {
    return std::string_view(chars_).substr(entry.offset, entry.size);
  }

  std::array<std::byte, 8192> buffer_;
  std::pmr::monotonic_buffer_resource arena_;  // falls back to the heap beyond buffer_
  std::pmr::string chars_;
  std::pmr::vector<Entry> entries_;
  std::vector<Level> levels_;  // at most kMaxDepth + 1: the parser stops deeper documents
};

// Boost.JSON's own value-building handler (value_stack), plus the duplicate check.
class CheckedHandler {
 public:
  static constexpr std::size_t max_object_size = boost::json::object::max_size();
  static constexpr std::size_t max_array_size = boost::json::array::max_size();
  static constexpr std::size_t max_key_size = boost::json::string::max_size();
  static constexpr std::size_t max_string_size = boost::json::string::max_size();

  CheckedHandler(bool name_duplicates, unsigned char* temp, std::size_t size)
      : stack(boost::json::storage_ptr(), temp, size) {
    if (name_duplicates) keys_.emplace();
  }

  boost::json::value_stack stack;
  std::size_t keys_seen = 0;               // in every object, duplicates included
  std::optional<std::string> duplicate;    // the first key given twice (when naming duplicates)

  bool on_document_begin(boost::system::error_code&) { return true; }
  bool on_document_end(boost::system::error_code&) { return true; }
  bool on_object_begin(boost::system::error_code&) {
    if (keys_) keys_->open();
    return true;
  }
  bool on_object_end(std::size_t n, boost::system::error_code&) {
    if (keys_) keys_->close();
    keys_seen += n;
    stack.push_object(n);
    return true;
  }
  bool on_array_begin(boost::system::error_code&) { return true; }
  bool on_array_end(std::size_t n, boost::system::error_code&) {
    stack.push_array(n);
    return true;
  }
  bool on_key_part(boost::json::string_view s, std::size_t, boost::system::error_code&) {
    if (keys_) {
      key_in_parts_ = true;
      key_.append(s.data(), s.size());
    }
    stack.push_chars(s);
    return true;
  }
  bool on_key(boost::json::string_view s, std::size_t, boost::system::error_code& ec) {
    if (!keys_) {
      stack.push_key(s);
      return true;
    }
    // A key arrives in parts only when it spans input buffers or holds escapes; usually it is whole.
    const bool in_parts = key_in_parts_;
    if (in_parts) key_.append(s.data(), s.size());
    const std::string_view key = in_parts ? std::string_view(key_) : std::string_view(s.data(), s.size());
    if (!keys_->insert(key)) {
      duplicate = std::string(key);
      ec = boost::json::error::syntax;  // stops the parse; `duplicate` says why
      return false;
    }
    key_.clear();
    key_in_parts_ = false;
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
  std::optional<OpenKeys> keys_;
  std::string key_;
  bool key_in_parts_ = false;
};

struct Parsed {
  boost::system::error_code ec;
  std::optional<std::string> duplicate;
  std::size_t keys_seen = 0;
  // Constructed from the parser's result, never assigned: assigning a value across memory resources
  // copies the whole tree out of the caller's arena.
  std::optional<boost::json::value> value;
};

Parsed parse_checked(std::string_view text, boost::json::storage_ptr storage, bool name_duplicates) {
  boost::json::parse_options options;
  options.max_depth = kMaxDepth;
  unsigned char temp[4096];
  boost::json::basic_parser<CheckedHandler> parser(options, name_duplicates, temp, sizeof temp);
  parser.handler().stack.reset(std::move(storage));
  Parsed out;
  const std::size_t used = parser.write_some(false, text.data(), text.size(), out.ec);
  if (!out.ec && used < text.size()) out.ec = boost::json::error::extra_data;
  out.duplicate = std::move(parser.handler().duplicate);
  out.keys_seen = parser.handler().keys_seen;
  if (!out.ec) out.value.emplace(parser.handler().stack.release());
  return out;
}

// Boost.JSON keeps one of a duplicated key's values, so a tree holds fewer keys than the text had.
std::size_t keys_in(const boost::json::value& value) {
  std::size_t count = 0;
  if (const auto* object = value.if_object()) {
    count += object->size();
    for (const auto& member : *object) count += keys_in(member.value());
  } else if (const auto* array = value.if_array()) {
    for (const auto& element : *array) count += keys_in(element);
  }
  return count;
}

}  // namespace

// Counting keys costs the parse nothing and comparing with the tree is a short walk; only a body that
// does have a duplicate is parsed a second time, keeping every open object's keys, to name it. (Keeping
// them on every parse cost a heartbeat ~2 us, a twentieth of the server's CPU for it.)
Result<boost::json::object> parse_object(std::string_view text, boost::json::storage_ptr storage) {
  Parsed parsed = parse_checked(text, std::move(storage), false);
  if (parsed.ec) {
    return Error{Errc::invalid_argument, "bad_json", "request body is not valid JSON: " + parsed.ec.message(), {}};
  }
  if (keys_in(*parsed.value) != parsed.keys_seen) {
    const std::string key = parse_checked(text, {}, true).duplicate.value_or("?");
    constexpr std::size_t kShownBytes = 64;
    const std::string shown = key.size() > kShownBytes ? key.substr(0, kShownBytes) + "..." : key;
    return Error{Errc::invalid_argument, "duplicate_key", "duplicate key '" + shown + "'", {}};
  }
  if (!parsed.value->is_object()) {
    return Error{Errc::invalid_argument, "bad_json", "request body must be a JSON object", {}};
  }
  return std::move(parsed.value->as_object());
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
