#include "server/failover/dns_executor.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <thread>

#include "common/time.hpp"

namespace balctl::failover {
namespace {

std::string list(const std::vector<std::string>& addresses) {
  if (addresses.empty()) return "nothing";
  std::string out;
  for (const auto& address : addresses) out += (out.empty() ? "" : ", ") + address;
  return out;
}

}  // namespace

DnsExecutor::DnsExecutor(ProviderLoader loader, DnsDone done, std::chrono::milliseconds verify_timeout)
    : loader_(std::move(loader)), done_(std::move(done)), verify_timeout_(verify_timeout), workers_(2, 256) {}

DnsExecutor::~DnsExecutor() { stop(); }

void DnsExecutor::stop() { workers_.stop(); }

void DnsExecutor::submit(const ApplyDns& job) {
  if (!workers_.submit([this, job] { done_(job, apply(job)); })) {
    done_(job, Error{Errc::unavailable, "dns_busy", "too many DNS changes queued", {}});
  }
}

Status DnsExecutor::apply(const ApplyDns& job) {
  auto config = loader_(job.pool_id);
  if (!config) return config.error();
  if (!*config) return Error{Errc::not_found, "dns_not_configured", "no DNS provider is bound to the pool", {}};
  auto provider = dns::make_provider(**config);
  const auto started = time::steady_ms_now();
  const auto serial_before = provider->soa_serial();
  if (auto status = provider->set_a_record(job.fqdn, job.ipv4, job.ttl_s); !status) return status;
  const auto changed = time::steady_ms_now();
  const auto deadline = std::chrono::steady_clock::now() + verify_timeout_;
  const auto schedule = provider->verify_schedule();
  std::vector<std::string> seen;
  std::string last_error;
  int reads = 0;
  while (true) {
    ++reads;
    auto answer = provider->get_a_records(job.fqdn);
    if (answer && *answer == std::vector<std::string>{job.ipv4}) {
      const auto serial_after = provider->soa_serial();
      const bool serial_known = serial_before && serial_after && *serial_before && *serial_after;
      spdlog::info(
          "dns_verified provider={} fqdn={} ipv4={} change_ms={} verify_ms={} reads={} serial={}",
          provider->kind(), job.fqdn, job.ipv4, changed - started, time::steady_ms_now() - changed, reads,
          serial_known ? std::to_string(**serial_before) + "->" + std::to_string(**serial_after) : "n/a");
      return {};
    }
    if (answer) {
      seen = std::move(*answer);
    } else {
      last_error = answer.error().message;
    }
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) break;
    // The provider's schedule (API reads back off); the last wait ends at the deadline for one last read.
    std::this_thread::sleep_until(std::min(now + schedule.wait_after(reads), deadline));
  }
  return Error{Errc::unavailable, "dns_verify_failed",
               "the change was accepted but the authority still answers " + list(seen) + " for " + job.fqdn +
                   " after " + std::to_string(verify_timeout_.count() / 1000) + " s and " +
                   std::to_string(reads) + " reads" + (last_error.empty() ? "" : " (" + last_error + ")"),
               {}};
}

}  // namespace balctl::failover
