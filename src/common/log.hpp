// Logging set-up shared by both binaries. Messages are "event key=value ..." so they can be grepped and
// parsed; secrets are never passed to a log call (see redact()).
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace balctl::log {

enum class Style {
  timestamped,  // "2026-11-25T05:04:00.123Z info message" for a terminal or a log file
  journald,     // "<6>message": journald turns the sd-daemon prefix into the priority, adds its own time
};

// Parses trace|debug|info|warn|error|off; nullopt for anything else.
std::optional<int> parse_level(std::string_view name);

// Installs the stderr logger; level is a value from parse_level().
void setup(Style style, int level);

// Hides all but the first characters of a credential so a log line can still be correlated.
std::string redact(std::string_view secret);

}  // namespace balctl::log
