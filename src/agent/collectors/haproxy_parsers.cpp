#include "agent/collectors/haproxy_parsers.hpp"

#include <array>
#include <charconv>

namespace balctl::agent::collectors {
namespace {

constexpr std::size_t kMaxColumns = 256;

std::vector<std::string_view> split_csv_line(std::string_view line) {
  std::vector<std::string_view> fields;
  std::size_t start = 0;
  while (fields.size() < kMaxColumns) {
    const auto comma = line.find(',', start);
    fields.push_back(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return fields;
}

std::int64_t counter(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return 0;
  return value;
}

std::string row_type(std::string_view code) {
  static constexpr std::array<const char*, 4> kTypes = {"frontend", "backend", "server", "listener"};
  const auto value = counter(code);
  if (code.empty() || value >= static_cast<std::int64_t>(kTypes.size())) return "";
  return kTypes[static_cast<std::size_t>(value)];
}

// Column positions of the fields we report, found from the header.
struct Columns {
  std::optional<std::size_t> proxy, service, type, status, scur, rate, bin, bout, check_status;
  std::size_t needed = 0;  // a data line must have at least this many fields
};

Columns find_columns(std::string_view header) {
  Columns c;
  const auto names = split_csv_line(header);
  const auto assign = [&](std::string_view name, std::optional<std::size_t>& slot) {
    for (std::size_t i = 0; i < names.size(); ++i) {
      if (names[i] == name) {
        slot = i;
        c.needed = std::max(c.needed, i + 1);
        return;
      }
    }
  };
  assign("pxname", c.proxy);
  assign("svname", c.service);
  assign("type", c.type);
  assign("status", c.status);
  assign("scur", c.scur);
  assign("rate", c.rate);
  assign("bin", c.bin);
  assign("bout", c.bout);
  assign("check_status", c.check_status);
  return c;
}

std::string_view field(const std::vector<std::string_view>& fields, const std::optional<std::size_t>& column) {
  return column && *column < fields.size() ? fields[*column] : std::string_view();
}

std::string_view take_line(std::string_view& text) {
  const auto end = text.find('\n');
  auto line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  return line;
}

}  // namespace

Result<std::vector<protocol::HaproxyRow>> parse_show_stat(std::string_view csv) {
  std::optional<Columns> columns;
  std::vector<protocol::HaproxyRow> rows;
  while (!csv.empty() && rows.size() < protocol::kMaxHaproxyRows) {
    const auto line = take_line(csv);
    if (line.empty()) continue;
    if (!columns) {
      if (line.rfind("# ", 0) != 0) continue;
      columns = find_columns(line.substr(2));
      if (!columns->proxy || !columns->service) {
        return Error{Errc::invalid_argument, "bad_show_stat", "show stat header lacks pxname/svname", {}};
      }
      continue;
    }
    const auto fields = split_csv_line(line);
    if (fields.size() < columns->needed) continue;  // truncated line
    protocol::HaproxyRow row;
    row.proxy = std::string(field(fields, columns->proxy));
    row.service = std::string(field(fields, columns->service));
    if (row.proxy.empty() || row.service.empty() || row.proxy.size() > 255 || row.service.size() > 255) continue;
    row.type = row_type(field(fields, columns->type));
    row.status = std::string(field(fields, columns->status).substr(0, 64));
    row.current_sessions = counter(field(fields, columns->scur));
    row.session_rate = counter(field(fields, columns->rate));
    row.bytes_in = counter(field(fields, columns->bin));
    row.bytes_out = counter(field(fields, columns->bout));
    row.check_status = std::string(field(fields, columns->check_status).substr(0, 64));
    rows.push_back(std::move(row));
  }
  if (!columns) return Error{Errc::invalid_argument, "bad_show_stat", "show stat output has no CSV header", {}};
  return rows;
}

Result<HaproxyInfo> parse_show_info(std::string_view text) {
  HaproxyInfo info;
  bool recognised = false;
  while (!text.empty()) {
    const auto line = take_line(text);
    const auto colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    const auto key = line.substr(0, colon);
    const auto value = line.substr(colon + 2);
    if (key == "Version") {
      info.version = std::string(value.substr(0, 64));
      recognised = true;
    } else if (key == "Uptime_sec") {
      info.uptime_s = counter(value);
      recognised = true;
    } else if (key == "Pid") {
      info.pid = counter(value);
    }
  }
  if (!recognised) return Error{Errc::invalid_argument, "bad_show_info", "show info output has no Version", {}};
  return info;
}

}  // namespace balctl::agent::collectors
