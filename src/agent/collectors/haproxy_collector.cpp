#include "agent/collectors/haproxy_collector.hpp"

#include "agent/collectors/haproxy_parsers.hpp"
#include "agent/collectors/haproxy_socket.hpp"

namespace balctl::agent::collectors {

HaproxyStats read_haproxy_stats(const std::string& socket_path, std::chrono::milliseconds timeout) {
  HaproxyStats stats;
  auto info_text = query_stats_socket(socket_path, "show info", timeout);
  if (!info_text) {
    stats.detail = info_text.error().message;
    return stats;
  }
  auto info = parse_show_info(*info_text);
  if (!info) {
    stats.detail = "stats socket " + socket_path + ": " + info.error().message;
    return stats;
  }
  stats.answered = true;
  stats.version = info->version;
  stats.uptime_s = info->uptime_s;
  auto stat_text = query_stats_socket(socket_path, "show stat", timeout);
  if (!stat_text) {
    stats.detail = stat_text.error().message;
    return stats;
  }
  auto rows = parse_show_stat(*stat_text);
  if (!rows) {
    stats.detail = "stats socket " + socket_path + ": " + rows.error().message;
    return stats;
  }
  stats.rows = std::move(*rows);
  return stats;
}

}  // namespace balctl::agent::collectors
