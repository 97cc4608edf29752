#include "common/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <array>
#include <memory>

namespace balctl::log {
namespace {

// Maps spdlog levels to syslog priorities for the sd-daemon "<N>" prefix.
class SyslogPriorityFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    static constexpr std::array<char, 7> kPriority = {'7', '7', '6', '4', '3', '2', '6'};
    const auto index = static_cast<std::size_t>(msg.level);
    dest.push_back('<');
    dest.push_back(index < kPriority.size() ? kPriority[index] : '6');
    dest.push_back('>');
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<SyslogPriorityFlag>();
  }
};

bool is_control(unsigned char c) {
  return c < 0x20 || c == 0x7f;
}

// Appends the escape for a control byte: \n, \r, \t or \xNN.
void append_control(std::string& out, unsigned char c) {
  static constexpr char kHex[] = "0123456789abcdef";
  switch (c) {
    case '\n':
      out += "\\n";
      return;
    case '\r':
      out += "\\r";
      return;
    case '\t':
      out += "\\t";
      return;
    default:
      break;
  }
  out += "\\x";
  out += kHex[c >> 4];
  out += kHex[c & 0xf];
}

// The message text ("%v") with its control bytes escaped: whatever a caller passed, one call is one line.
class EscapedPayloadFlag final : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
    const std::string_view payload(msg.payload.data(), msg.payload.size());
    if (!has_control(payload)) {
      dest.append(payload.data(), payload.data() + payload.size());
      return;
    }
    const std::string escaped = escape_control(payload);
    dest.append(escaped.data(), escaped.data() + escaped.size());
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<EscapedPayloadFlag>();
  }
};

}  // namespace

std::optional<int> parse_level(std::string_view name) {
  static constexpr std::array<std::pair<std::string_view, spdlog::level::level_enum>, 7> kLevels = {{
      {"trace", spdlog::level::trace},
      {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},
      {"warn", spdlog::level::warn},
      {"warning", spdlog::level::warn},
      {"error", spdlog::level::err},
      {"off", spdlog::level::off},
  }};
  for (const auto& [text, level] : kLevels) {
    if (text == name) return static_cast<int>(level);
  }
  return std::nullopt;
}

std::unique_ptr<spdlog::formatter> make_formatter(Style style) {
  auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
  formatter->add_flag<EscapedPayloadFlag>('&');
  if (style == Style::journald) {
    formatter->add_flag<SyslogPriorityFlag>('*').set_pattern("%*%&");
  } else {
    formatter->set_pattern("%Y-%m-%dT%H:%M:%S.%eZ %l %&");
  }
  return formatter;
}

void setup(Style style, int level) {
  auto logger = spdlog::stderr_logger_mt("balctl");
  logger->set_formatter(make_formatter(style));
  logger->set_level(static_cast<spdlog::level::level_enum>(level));
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

std::string redact(std::string_view secret) {
  constexpr std::size_t kVisible = 6;
  if (secret.size() <= kVisible) return "***";
  return std::string(secret.substr(0, kVisible)) + "***";
}

bool has_control(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return is_control(static_cast<unsigned char>(c)); });
}

std::string escape_control(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  for (const char c : text) {
    if (is_control(static_cast<unsigned char>(c))) {
      append_control(out, static_cast<unsigned char>(c));
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_value(std::string_view text) {
  // '=' too: a bare "a=b" would read as a key to a careless parser.
  const bool bare = !text.empty() && std::none_of(text.begin(), text.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return is_control(byte) || byte == ' ' || byte == '"' || byte == '\\' || byte == '=';
  });
  if (bare) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  out += '"';
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte == '"' || byte == '\\') {
      out += '\\';
      out += c;
    } else if (is_control(byte)) {
      append_control(out, byte);
    } else {
      out += c;
    }
  }
  out += '"';
  return out;
}

}  // namespace balctl::log
