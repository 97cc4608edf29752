#include "cli/output.hpp"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <iostream>

namespace balctl::cli {

Table::Table(std::vector<std::string> headers) { rows_.push_back(std::move(headers)); }

void Table::add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }

void Table::print(std::ostream& out) const {
  std::vector<std::size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()));
    for (std::size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (std::size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << '\n';
  }
}

std::string text(const boost::json::value* value) {
  if (value == nullptr || value->is_null()) return "-";
  if (value->is_string()) return value->get_string().empty() ? "-" : std::string(value->get_string());
  if (value->is_bool()) return value->get_bool() ? "yes" : "no";
  if (value->is_double()) return fmt::format("{:.2f}", value->get_double());
  return boost::json::serialize(*value);
}

std::string text(const boost::json::object& object, std::string_view key) { return text(object.if_contains(key)); }

std::string age(const boost::json::value* milliseconds) {
  if (milliseconds == nullptr || !milliseconds->is_number()) return "-";
  const auto ms = milliseconds->to_number<double>();
  if (ms < 1000) return fmt::format("{:.0f}ms", ms);
  if (ms < 120'000) return fmt::format("{:.0f}s", ms / 1000);
  if (ms < 7'200'000) return fmt::format("{:.0f}m", ms / 60'000);
  if (ms < 172'800'000) return fmt::format("{:.0f}h", ms / 3'600'000);
  return fmt::format("{:.0f}d", ms / 86'400'000);
}

void print_json(const boost::json::value& value) { std::cout << boost::json::serialize(value) << '\n'; }

}  // namespace balctl::cli
