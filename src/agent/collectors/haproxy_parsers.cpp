#include "agent/collectors/haproxy_parsers.hpp"

#include <array>
#include <charconv>

#include "agent/collectors/text.hpp"

namespace balctl::agent::collectors {
namespace {

// HAProxy 2.6 has about 100 columns; a record with more than this is kept up to this many.
constexpr std::size_t kMaxColumns = 1024;
// The lengths the control plane accepts (protocol.cpp): a longer string would cost the heartbeat.
constexpr std::size_t kMaxNameBytes = 255;
constexpr std::size_t kMaxStatusBytes = 64;
constexpr std::size_t kMaxVersionBytes = 64;

// One CSV record as raw field spans; a quoted field keeps its quotes until decode().
struct Record {
  std::vector<std::string_view> fields;
  bool complete = false;  // ended with '\n', as HAProxy ends every line; false when the text ran out
};

// Takes the next record off the front of `text`. Quoted fields may hold commas and newlines; a quote
// left open runs to the end of the text and leaves the record incomplete.
void take_record(std::string_view& text, Record& record) {
  record.fields.clear();
  record.complete = false;
  std::size_t pos = 0;
  while (true) {
    const std::size_t start = pos;
    if (pos < text.size() && text[pos] == '"') {
      ++pos;
      while (pos < text.size()) {
        const auto quote = text.find('"', pos);
        if (quote == std::string_view::npos) {
          pos = text.size();
        } else if (quote + 1 < text.size() && text[quote + 1] == '"') {
          pos = quote + 2;  // "" is an escaped quote
          continue;
        } else {
          pos = quote + 1;
        }
        break;
      }
    }
    const auto end = text.find_first_of(",\n", pos);
    const auto stop = end == std::string_view::npos ? text.size() : end;
    if (record.fields.size() < kMaxColumns) record.fields.push_back(text.substr(start, stop - start));
    if (end == std::string_view::npos) {
      text = {};
      return;
    }
    pos = end + 1;
    if (text[end] == '\n') {
      record.complete = true;
      text.remove_prefix(pos);
      auto& last = record.fields.back();
      if (!last.empty() && last.back() == '\r') last.remove_suffix(1);
      return;
    }
  }
}

// The text of a raw field: quotes removed and "" turned back into ".
std::string decode(std::string_view raw, std::size_t max_bytes) {
  if (raw.empty() || raw.front() != '"') return clean_text(raw, max_bytes);
  std::string out;
  for (std::size_t i = 1; i < raw.size(); ++i) {
    if (raw[i] == '"') {
      if (i + 1 >= raw.size() || raw[i + 1] != '"') break;
      ++i;
    }
    out += raw[i];
  }
  return clean_text(out, max_bytes);
}

// A non-negative counter; HAProxy leaves a field empty where it does not apply, which reads as 0.
std::int64_t counter(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < 0) return 0;
  return value;
}

std::optional<std::int64_t> optional_counter(std::string_view text) {
  std::int64_t value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || value < 0) return std::nullopt;
  return value;
}

// Column positions of the fields we report, found from the header.
struct Columns {
  std::optional<std::size_t> proxy, service, type, status, scur, rate, bin, bout, check_status;
  std::size_t needed = 0;  // a data record must have at least this many fields
};

Columns find_columns(const std::vector<std::string_view>& names) {
  Columns c;
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

std::string_view field(const Record& record, const std::optional<std::size_t>& column) {
  return column && *column < record.fields.size() ? record.fields[*column] : std::string_view();
}

// The reply's first non-empty line, for an error message.
std::string first_line(std::string_view text) {
  while (!text.empty()) {
    const auto end = text.find('\n');
    auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.remove_suffix(1);
    if (!line.empty()) return "unexpected reply \"" + clean_text(line, 80) + "\"";
  }
  return "empty reply";
}

Error parse_error(std::string_view what, std::string_view text) {
  return Error{Errc::unavailable, "bad_haproxy_reply", std::string(what) + ": " + first_line(text), {}};
}

}  // namespace

std::string row_type(std::string_view type_code, std::string_view service) {
  static constexpr std::array<const char*, 4> kTypes = {"frontend", "backend", "server", "listener"};
  if (const auto code = optional_counter(type_code);
      code && *code < static_cast<std::int64_t>(kTypes.size())) {
    return kTypes[static_cast<std::size_t>(*code)];
  }
  if (service == "FRONTEND") return "frontend";
  if (service == "BACKEND") return "backend";
  return "server";
}

Result<ShowStat> parse_show_stat(std::string_view csv) {
  const std::string_view original = csv;
  std::optional<Columns> columns;
  ShowStat out;
  Record record;
  while (!csv.empty()) {
    take_record(csv, record);
    const auto first = record.fields.front();
    if (!columns) {
      if (first.rfind("# ", 0) != 0 || !record.complete) continue;  // text before the header
      record.fields.front().remove_prefix(2);
      columns = find_columns(record.fields);
      if (!columns->proxy || !columns->service)
        return parse_error("show stat header lacks pxname/svname", original);
      continue;
    }
    if (record.fields.size() == 1 && first.empty()) continue;  // blank line (the reply ends with one)
    if (!first.empty() && first.front() == '#') continue;      // a repeated header
    if (out.rows.size() == protocol::kMaxHaproxyRows) {
      out.truncated = true;
      break;
    }
    // A record cut short (no final newline, or fewer fields than the columns we use) is dropped whole:
    // its last field may be cut mid-number.
    if (!record.complete || record.fields.size() < columns->needed) {
      ++out.skipped;
      continue;
    }
    protocol::HaproxyRow row;
    const auto proxy = field(record, columns->proxy);
    const auto service = field(record, columns->service);
    row.proxy = decode(proxy, kMaxNameBytes + 1);
    row.service = decode(service, kMaxNameBytes + 1);
    if (row.proxy.empty() || row.service.empty() || row.proxy.size() > kMaxNameBytes ||
        row.service.size() > kMaxNameBytes) {
      ++out.skipped;  // HAProxy names are never empty; a cut one would misname the row
      continue;
    }
    row.type = row_type(field(record, columns->type), row.service);
    row.status = decode(field(record, columns->status), kMaxStatusBytes);
    row.current_sessions = counter(field(record, columns->scur));
    row.session_rate = counter(field(record, columns->rate));
    row.bytes_in = counter(field(record, columns->bin));
    row.bytes_out = counter(field(record, columns->bout));
    row.check_status = decode(field(record, columns->check_status), kMaxStatusBytes);
    out.rows.push_back(std::move(row));
  }
  if (!columns) return parse_error("show stat has no CSV header", original);
  return out;
}

Result<HaproxyInfo> parse_show_info(std::string_view text) {
  const std::string_view original = text;
  HaproxyInfo info;
  bool recognised = false;
  while (!text.empty()) {
    const auto end = text.find('\n');
    auto line = text.substr(0, end);
    text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto colon = line.find(": ");
    if (colon == std::string_view::npos) continue;
    const auto key = line.substr(0, colon);
    const auto value = line.substr(colon + 2);
    if (key == "Version") {
      info.version = clean_text(value, kMaxVersionBytes);
      recognised = true;
    } else if (key == "Uptime_sec") {
      info.uptime_s = optional_counter(value);
      recognised = true;
    } else if (key == "Pid") {
      info.pid = optional_counter(value);
    }
  }
  if (!recognised) return parse_error("show info has no Version", original);
  return info;
}

}  // namespace balctl::agent::collectors
