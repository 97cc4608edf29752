#include "agent/collectors/haproxy_collector.hpp"

#include "agent/collectors/haproxy_parsers.hpp"
#include "agent/collectors/haproxy_socket.hpp"
#include "agent/collectors/haproxy_state.hpp"
#include "agent/collectors/text.hpp"

namespace balctl::agent::collectors {
namespace {

// The control plane accepts a detail of at most 512 bytes (protocol.cpp).
constexpr std::size_t kMaxDetailBytes = 512;

void add_detail(std::string& detail, const std::string& part) {
  if (part.empty()) return;
  if (!detail.empty()) detail += "; ";
  detail += part;
}

}  // namespace

HaproxyStats read_haproxy_stats(const std::string& socket_path, std::chrono::milliseconds budget) {
  const auto deadline = std::chrono::steady_clock::now() + budget;
  HaproxyStats stats;
  const auto fail = [&](const std::string& why) {
    stats.detail = clean_text(why, kMaxDetailBytes);
    return stats;
  };
  auto info_text = query_stats_socket(socket_path, "show info", deadline);
  if (!info_text) return fail(info_text.error().message);
  auto info = parse_show_info(*info_text);
  if (!info) return fail("stats socket " + socket_path + ": " + info.error().message);
  stats.answered = true;
  stats.version = std::move(info->version);
  stats.uptime_s = info->uptime_s;

  auto stat_text = query_stats_socket(socket_path, "show stat", deadline);
  if (!stat_text) return fail(stat_text.error().message);
  auto table = parse_show_stat(*stat_text);
  if (!table) return fail("stats socket " + socket_path + ": " + table.error().message);
  stats.rows = std::move(table->rows);
  std::string detail;
  if (table->truncated) {
    add_detail(detail,
               "show stat: only the first " + std::to_string(protocol::kMaxHaproxyRows) + " rows are sent");
  }
  if (table->skipped > 0)
    add_detail(detail, "show stat: " + std::to_string(table->skipped) + " malformed rows skipped");
  stats.detail = clean_text(detail, kMaxDetailBytes);
  return stats;
}

std::string stats_error_for(protocol::HaproxyState state, const HaproxyStats& stats) {
  if (state != protocol::HaproxyState::running || stats.answered) return {};
  return stats.detail.empty() ? std::string("the stats socket gave no reply") : stats.detail;
}

protocol::HaproxyReport collect_haproxy(HaproxyStateProbe& probe, const std::string& socket_path,
                                        std::chrono::milliseconds budget) {
  protocol::HaproxyReport report;
  report.state = probe.probe();
  std::string detail;
  if (report.state == protocol::HaproxyState::running || report.state == protocol::HaproxyState::unknown) {
    auto stats = read_haproxy_stats(socket_path, budget);
    report.version = std::move(stats.version);
    report.uptime_s = stats.uptime_s;
    report.rows = std::move(stats.rows);
    report.stats_error = stats_error_for(report.state, stats);
    detail = std::move(stats.detail);
  }
  // What went wrong with the socket comes first: the 512-byte cap must not cut it off.
  add_detail(detail, probe.detail());
  report.found_by = probe.found_by();
  report.detail = clean_text(detail, kMaxDetailBytes);
  return report;
}

}  // namespace balctl::agent::collectors
