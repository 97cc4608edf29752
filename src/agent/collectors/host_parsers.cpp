#include "agent/collectors/host_parsers.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace balctl::agent::collectors {
namespace {

std::string_view next_token(std::string_view& text) {
  const auto start = text.find_first_not_of(" \t");
  if (start == std::string_view::npos) {
    text = {};
    return {};
  }
  text.remove_prefix(start);
  const auto end = std::min(text.find_first_of(" \t\n"), text.size());
  const auto token = text.substr(0, end);
  text.remove_prefix(end);
  return token;
}

std::optional<double> to_double(std::string_view token) {
  double value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size() || !std::isfinite(value)) return std::nullopt;
  return value;
}

std::optional<std::uint64_t> to_u64(std::string_view token) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

std::string_view first_line(std::string_view text) { return text.substr(0, std::min(text.find('\n'), text.size())); }

// Undoes the \ooo escapes the kernel uses for spaces, tabs, newlines and backslashes in mount fields.
std::string unescape_mount_field(std::string_view field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      const auto digits = field.substr(i + 1, 3);
      if (digits.size() == 3 && std::all_of(digits.begin(), digits.end(), [](char c) { return c >= '0' && c <= '7'; })) {
        out += static_cast<char>((digits[0] - '0') * 64 + (digits[1] - '0') * 8 + (digits[2] - '0'));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

std::string unquote(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  std::string out;
  for (std::size_t i = 0; i < value.size(); ++i) {
    if (value[i] == '\\' && i + 1 < value.size()) ++i;  // os-release allows \" \\ \$ \`
    out += value[i];
  }
  return out;
}

}  // namespace

std::optional<double> parse_uptime(std::string_view text) {
  const auto value = to_double(next_token(text));
  if (!value || *value < 0) return std::nullopt;
  return value;
}

std::optional<std::array<double, 3>> parse_loadavg(std::string_view text) {
  std::array<double, 3> load{};
  for (auto& slot : load) {
    const auto value = to_double(next_token(text));
    if (!value || *value < 0) return std::nullopt;
    slot = *value;
  }
  return load;
}

std::optional<CpuTimes> parse_cpu_times(std::string_view proc_stat) {
  auto line = first_line(proc_stat);
  if (next_token(line) != "cpu") return std::nullopt;
  CpuTimes times;
  int column = 0;
  for (auto token = next_token(line); !token.empty(); token = next_token(line), ++column) {
    const auto value = to_u64(token);
    if (!value) return std::nullopt;
    // Columns: user nice system idle iowait irq softirq steal guest guest_nice. guest time is already
    // counted in user, so it is not added again.
    if (column < 8) times.total += *value;
    if (column == 3 || column == 4) times.idle += *value;
  }
  if (column < 4) return std::nullopt;
  return times;
}

std::optional<double> cpu_utilisation(const CpuTimes& before, const CpuTimes& after) {
  if (after.total <= before.total || after.idle < before.idle) return std::nullopt;
  const auto total = static_cast<double>(after.total - before.total);
  const auto idle = static_cast<double>(after.idle - before.idle);
  return std::clamp(100.0 * (total - idle) / total, 0.0, 100.0);
}

std::optional<protocol::Memory> parse_meminfo(std::string_view text) {
  std::optional<std::int64_t> total;
  std::optional<std::int64_t> available;
  std::int64_t free_buffers_cached = 0;
  while (!text.empty()) {
    auto line = first_line(text);
    text.remove_prefix(std::min(line.size() + 1, text.size()));
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto key = line.substr(0, colon);
    auto rest = line.substr(colon + 1);
    const auto value = to_u64(next_token(rest));
    if (!value || *value > static_cast<std::uint64_t>(INT64_MAX)) continue;
    const auto kb = static_cast<std::int64_t>(*value);
    if (key == "MemTotal") total = kb;
    if (key == "MemAvailable") available = kb;
    if (key == "MemFree" || key == "Buffers" || key == "Cached") free_buffers_cached += kb;
  }
  if (!total || *total <= 0) return std::nullopt;
  return protocol::Memory{*total, std::min(*total, available.value_or(free_buffers_cached))};
}

std::vector<MountEntry> parse_mounts(std::string_view text) {
  std::vector<MountEntry> mounts;
  while (!text.empty()) {
    auto line = first_line(text);
    text.remove_prefix(std::min(line.size() + 1, text.size()));
    const auto device = next_token(line);
    const auto mount_point = next_token(line);
    const auto fs_type = next_token(line);
    if (fs_type.empty() || mount_point.empty() || mount_point.front() != '/') continue;
    mounts.push_back({unescape_mount_field(device), unescape_mount_field(mount_point), std::string(fs_type)});
  }
  return mounts;
}

bool is_pseudo_filesystem(std::string_view fs_type) {
  static constexpr std::array<std::string_view, 27> kPseudo = {
      "proc",     "sysfs",      "devtmpfs", "devpts",    "tmpfs",      "securityfs", "cgroup",
      "cgroup2",  "pstore",     "bpf",      "debugfs",   "tracefs",    "configfs",   "fusectl",
      "mqueue",   "hugetlbfs",  "autofs",   "binfmt_misc", "rpc_pipefs", "nsfs",     "efivarfs",
      "overlay",  "squashfs",   "ramfs",    "fuse.lxcfs", "selinuxfs", "nfsd"};
  return std::find(kPseudo.begin(), kPseudo.end(), fs_type) != kPseudo.end();
}

std::string parse_os_release(std::string_view text) {
  std::string name;
  std::string version;
  while (!text.empty()) {
    auto line = first_line(text);
    text.remove_prefix(std::min(line.size() + 1, text.size()));
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const auto key = line.substr(0, equals);
    const auto value = unquote(line.substr(equals + 1));
    if (key == "PRETTY_NAME" && !value.empty()) return value;
    if (key == "NAME") name = value;
    if (key == "VERSION") version = value;
  }
  return version.empty() ? name : name + " " + version;
}

}  // namespace balctl::agent::collectors
