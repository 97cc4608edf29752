// Logging set-up shared by both binaries. Messages are "event key=value ..." so they can be grepped and
// parsed; secrets are never passed to a log call (see redact()). Text that comes from outside (an agent, a
// DNS provider, a peer's error) is passed as log::value(text), which quotes and escapes it, so no value
// can end the line or pose as another key. As a last line of defence the formatter escapes control bytes
// in every message, so even an unwrapped value cannot start a forged line.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace spdlog {
class formatter;
}

namespace balctl::log {

enum class Style {
  timestamped,  // "2026-11-25T05:04:00.123Z info message" for a terminal or a log file
  journald,     // "<6>message": journald turns the sd-daemon prefix into the priority, adds its own time
};

// Parses trace|debug|info|warn|error|off; nullopt for anything else.
std::optional<int> parse_level(std::string_view name);

// Installs the stderr logger; level is a value from parse_level().
void setup(Style style, int level);
// The formatter setup() installs (tests put it on their own sink).
std::unique_ptr<spdlog::formatter> make_formatter(Style style);

// Hides all but the first characters of a credential so a log line can still be correlated.
std::string redact(std::string_view secret);

// One value of a key=value line: left bare when it is a plain token; otherwise in double quotes with
// '"' and '\' backslash-escaped, \n \r \t written as those two characters, other control bytes as \xNN.
// An empty value is "".
std::string escape_value(std::string_view text);
// Control bytes (below 0x20, and 0x7f) written as \n, \r, \t or \xNN; everything else unchanged. For free
// text that is shown rather than parsed: event messages, and the formatter's whole-message pass.
std::string escape_control(std::string_view text);
bool has_control(std::string_view text);

struct Value {
  std::string_view text;
};
// spdlog::warn("dns_check_failed fqdn={} error={}", fqdn, log::value(error.message));
inline Value value(std::string_view text) {
  return Value{text};
}

}  // namespace balctl::log

template <>
struct fmt::formatter<balctl::log::Value> : fmt::formatter<std::string_view> {
  template <class FormatContext>
  auto format(const balctl::log::Value& value, FormatContext& context) const {
    const std::string escaped = balctl::log::escape_value(value.text);
    return fmt::formatter<std::string_view>::format(escaped, context);
  }
};
