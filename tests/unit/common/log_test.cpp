// The key=value escaper and the formatter's last-line-of-defence pass: no text handed to a log call can
// start a new line or pose as another key.
#include "common/log.hpp"

#include <memory>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/ostream_sink.h>

namespace balctl::log {
namespace {

TEST(LogEscape, PlainTokensStayBare) {
  EXPECT_EQ(escape_value("1.0.2"), "1.0.2");
  EXPECT_EQ(escape_value("lb1.example.com"), "lb1.example.com");
  EXPECT_EQ(escape_value("/run/haproxy/admin.sock"), "/run/haproxy/admin.sock");
}

TEST(LogEscape, EmptyIsQuoted) {
  EXPECT_EQ(escape_value(""), "\"\"");
}

TEST(LogEscape, SpacesQuotesBackslashesAndEqualsAreQuoted) {
  EXPECT_EQ(escape_value("connection refused"), "\"connection refused\"");
  EXPECT_EQ(escape_value("say \"hi\""), "\"say \\\"hi\\\"\"");
  EXPECT_EQ(escape_value("a\\b"), "\"a\\\\b\"");
  EXPECT_EQ(escape_value("level=error"), "\"level=error\"");
}

TEST(LogEscape, ControlBytesAreWrittenAsEscapes) {
  EXPECT_EQ(escape_value("1.0\nlevel=error msg=forged"), "\"1.0\\nlevel=error msg=forged\"");
  EXPECT_EQ(escape_value("a\rb\tc"), "\"a\\rb\\tc\"");
  EXPECT_EQ(escape_value(std::string("a\0b", 3)), "\"a\\x00b\"");
  EXPECT_EQ(escape_value("\x1b[31m\x7f"), "\"\\x1b[31m\\x7f\"");
}

TEST(LogEscape, EscapedValueHasNoLineBreakAndOneOpeningQuote) {
  // Every byte 0..255 at once: the result is one quoted token whose inner quotes are all escaped.
  std::string all;
  for (int c = 0; c < 256; ++c)
    all += static_cast<char>(c);
  const std::string escaped = escape_value(all);
  EXPECT_EQ(escaped.find('\n'), std::string::npos);
  EXPECT_EQ(escaped.find('\r'), std::string::npos);
  EXPECT_FALSE(has_control(escaped));
  ASSERT_GE(escaped.size(), 2U);
  EXPECT_EQ(escaped.front(), '"');
  EXPECT_EQ(escaped.back(), '"');
  for (std::size_t i = 1; i + 1 < escaped.size(); ++i) {
    if (escaped[i] == '\\') {
      ++i;  // the escaped character
    } else {
      EXPECT_NE(escaped[i], '"') << "unescaped quote at " << i;
    }
  }
}

TEST(LogEscape, ControlEscapeLeavesPrintableTextAlone) {
  EXPECT_EQ(escape_control("HAProxy running -> stopped"), "HAProxy running -> stopped");
  EXPECT_EQ(escape_control("app1\nlevel=error"), "app1\\nlevel=error");
  EXPECT_EQ(escape_control("caf\xc3\xa9"), "caf\xc3\xa9");  // UTF-8 is not a control byte
  EXPECT_FALSE(has_control("plain text"));
  EXPECT_TRUE(has_control(std::string("a\0", 2)));
}

std::string log_through_formatter(Style style, const std::string& format_arg, bool wrap) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_st>(out);
  sink->set_formatter(make_formatter(style));
  spdlog::logger logger("test", sink);
  if (wrap) {
    logger.info("heartbeat agent_version={} seq=1", value(format_arg));
  } else {
    logger.info("heartbeat agent_version={} seq=1", format_arg);
  }
  logger.flush();
  return out.str();
}

TEST(LogFormatter, WrappedValueIsQuotedOnOneLine) {
  const std::string line = log_through_formatter(Style::timestamped, "1.0\nlevel=error msg=forged", true);
  EXPECT_NE(line.find(" info heartbeat agent_version=\"1.0\\nlevel=error msg=forged\" seq=1\n"),
            std::string::npos)
      << line;
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
}

TEST(LogFormatter, EvenAnUnwrappedValueCannotStartANewLine) {
  for (const auto style : {Style::timestamped, Style::journald}) {
    const std::string line = log_through_formatter(style, "1.0\n<3>level=error msg=forged\r\x01", false);
    EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
    EXPECT_NE(line.find("agent_version=1.0\\n<3>level=error msg=forged\\r\\x01 seq=1"), std::string::npos)
        << line;
  }
}

TEST(LogFormatter, JournaldStyleKeepsThePriorityPrefix) {
  const std::string line = log_through_formatter(Style::journald, "1.0", true);
  EXPECT_EQ(line, "<6>heartbeat agent_version=1.0 seq=1\n");
}

}  // namespace
}  // namespace balctl::log
