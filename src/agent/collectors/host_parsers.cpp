#include "agent/collectors/host_parsers.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <limits>
#include <set>

namespace balctl::agent::collectors {
namespace {

constexpr std::size_t kMaxOsNameBytes = 256;

// Removes and returns the first line of `text` (without its '\n').
std::string_view take_line(std::string_view& text) {
  const auto end = text.find('\n');
  const auto line = text.substr(0, end);
  text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
  return line;
}

// Removes and returns the next whitespace-separated token of one line.
std::string_view next_token(std::string_view& line) {
  const auto start = line.find_first_not_of(" \t\r");
  if (start == std::string_view::npos) {
    line = {};
    return {};
  }
  line.remove_prefix(start);
  const auto end = std::min(line.find_first_of(" \t\r"), line.size());
  const auto token = line.substr(0, end);
  line.remove_prefix(end);
  return token;
}

std::optional<double> to_double(std::string_view token) {
  double value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || ec != std::errc() || end != token.data() + token.size() || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

std::optional<std::uint64_t> to_u64(std::string_view token) {
  std::uint64_t value = 0;
  const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), value);
  if (token.empty() || ec != std::errc() || end != token.data() + token.size()) return std::nullopt;
  return value;
}

// Undoes the \ooo escapes the kernel writes for space, tab, newline and backslash in mount fields.
// Only three-digit codes up to \377 are escapes; anything else is kept as written.
std::string unescape_mount_field(std::string_view field) {
  std::string out;
  out.reserve(field.size());
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && field.size() - i > 3) {
      const char a = field[i + 1], b = field[i + 2], c = field[i + 3];
      const auto octal = [](char digit) { return digit >= '0' && digit <= '7'; };
      if (a >= '0' && a <= '3' && octal(b) && octal(c)) {
        out += static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0'));
        i += 3;
        continue;
      }
    }
    out += field[i];
  }
  return out;
}

// os-release values follow shell rules: optionally quoted, with \" \\ \$ \` escapes.
std::string unquote(std::string_view value) {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t' || value.back() == '\r')) {
    value.remove_suffix(1);
  }
  char quote = 0;
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    quote = value.front();
    value = value.substr(1, value.size() - 2);
  }
  std::string out;
  for (std::size_t i = 0; i < value.size() && out.size() < kMaxOsNameBytes; ++i) {
    // Inside single quotes a backslash is literal; elsewhere it escapes the next character.
    if (value[i] == '\\' && quote != '\'' && i + 1 < value.size()) ++i;
    out += value[i];
  }
  return out;
}

std::int64_t saturating_add(std::int64_t a, std::int64_t b) {
  std::int64_t sum = 0;
  return __builtin_add_overflow(a, b, &sum) ? std::numeric_limits<std::int64_t>::max() : sum;
}

}  // namespace

std::optional<double> parse_uptime(std::string_view text) {
  auto line = take_line(text);
  const auto value = to_double(next_token(line));
  if (!value || *value < 0) return std::nullopt;
  return value;
}

std::optional<std::array<double, 3>> parse_loadavg(std::string_view text) {
  auto line = take_line(text);
  std::array<double, 3> load{};
  for (auto& slot : load) {
    const auto value = to_double(next_token(line));
    if (!value || *value < 0) return std::nullopt;
    slot = *value;
  }
  return load;
}

std::optional<CpuTimes> parse_cpu_times(std::string_view proc_stat) {
  while (!proc_stat.empty()) {
    auto line = take_line(proc_stat);
    if (next_token(line) != "cpu") continue;  // "cpu0", "intr", ... are not the aggregate
    CpuTimes times;
    int column = 0;
    // Columns: user nice system idle iowait irq softirq steal guest guest_nice. Guest time is already
    // inside user/nice, and columns a future kernel appends have unknown meaning: only 8 are summed.
    for (auto token = next_token(line); !token.empty() && column < 8; token = next_token(line), ++column) {
      const auto value = to_u64(token);
      if (!value || __builtin_add_overflow(times.total, *value, &times.total)) return std::nullopt;
      if (column == 3 || column == 4) times.idle += *value;  // cannot overflow: idle <= total
    }
    if (column < 4) return std::nullopt;  // not even user nice system idle
    return times;
  }
  return std::nullopt;
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
  std::optional<std::int64_t> free;
  std::int64_t buffers_cached = 0;
  while (!text.empty()) {
    const auto line = take_line(text);
    const auto colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    const auto key = line.substr(0, colon);
    auto rest = line.substr(colon + 1);
    const auto value = to_u64(next_token(rest));
    const auto unit = next_token(rest);
    if (!value || *value > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) continue;
    if (!unit.empty() && unit != "kB") continue;  // every field we use is in kB; anything else is not ours
    const auto kb = static_cast<std::int64_t>(*value);
    if (key == "MemTotal")
      total = kb;
    else if (key == "MemAvailable")
      available = kb;
    else if (key == "MemFree")
      free = kb;
    else if (key == "Buffers" || key == "Cached")
      buffers_cached = saturating_add(buffers_cached, kb);
  }
  if (!total || *total <= 0) return std::nullopt;
  if (!available && free) available = saturating_add(*free, buffers_cached);
  if (!available) return std::nullopt;  // a total alone would read as "no memory left"
  return protocol::Memory{*total, std::min(*total, *available)};
}

std::vector<MountEntry> parse_mounts(std::string_view text) {
  std::vector<MountEntry> mounts;
  while (!text.empty()) {
    auto line = take_line(text);
    const auto device = next_token(line);
    const auto mount_point = next_token(line);
    const auto fs_type = next_token(line);
    if (fs_type.empty() || mount_point.front() != '/') continue;
    mounts.push_back({unescape_mount_field(device), unescape_mount_field(mount_point), std::string(fs_type)});
  }
  return mounts;
}

bool is_pseudo_filesystem(std::string_view fs_type) {
  static constexpr std::array<std::string_view, 29> kPseudo = {
      "proc",    "sysfs",    "devtmpfs",    "devpts",     "tmpfs",    "ramfs",     "rootfs", "securityfs",
      "pstore",  "bpf",      "debugfs",     "tracefs",    "configfs", "fusectl",   "mqueue", "hugetlbfs",
      "autofs",  "nsfs",     "binfmt_misc", "rpc_pipefs", "efivarfs", "selinuxfs", "nfsd",   "fuse.lxcfs",
      "overlay", "squashfs", "iso9660",     "erofs",      "cpuset"};
  if (fs_type.rfind("cgroup", 0) == 0) return true;  // cgroup, cgroup2
  return std::find(kPseudo.begin(), kPseudo.end(), fs_type) != kPseudo.end();
}

bool is_network_filesystem(std::string_view fs_type) {
  static constexpr std::array<std::string_view, 10> kNetwork = {
      "nfs", "nfs4", "cifs", "smb3", "smbfs", "ceph", "glusterfs", "9p", "afs", "lustre"};
  // fuse.* covers sshfs, s3fs, rclone...; local FUSE block filesystems (ntfs-3g) say "fuseblk".
  return fs_type.rfind("fuse.", 0) == 0 ||
         std::find(kNetwork.begin(), kNetwork.end(), fs_type) != kNetwork.end();
}

std::vector<MountEntry> disk_mounts(const std::vector<MountEntry>& mounts) {
  std::vector<MountEntry> out;
  std::set<std::string_view> devices;
  for (const auto& mount : mounts) {
    if (out.size() >= protocol::kMaxDisks) break;
    // In a container the root is an overlay, and it is the only view of the disk there is.
    const bool container_root = mount.fs_type == "overlay" && mount.mount_point == "/";
    if ((is_pseudo_filesystem(mount.fs_type) && !container_root) || is_network_filesystem(mount.fs_type))
      continue;
    if (!devices.insert(mount.device).second) continue;  // a bind mount of a device already listed
    out.push_back(mount);
  }
  return out;
}

std::string parse_os_release(std::string_view text) {
  std::string name;
  std::string version;
  while (!text.empty()) {
    const auto line = take_line(text);
    if (line.empty() || line.front() == '#') continue;
    const auto equals = line.find('=');
    if (equals == std::string_view::npos) continue;
    const auto key = line.substr(0, equals);
    if (key == "PRETTY_NAME") {
      auto value = unquote(line.substr(equals + 1));
      if (!value.empty()) return value;
    } else if (key == "NAME") {
      name = unquote(line.substr(equals + 1));
    } else if (key == "VERSION") {
      version = unquote(line.substr(equals + 1));
    }
  }
  if (name.empty()) return version;
  return version.empty() ? name : name + " " + version;
}

int prefix_length(std::uint32_t netmask) {
  return std::popcount(netmask);
}

}  // namespace balctl::agent::collectors
