#include "cli/pool_wait.hpp"

#include <chrono>
#include <iostream>
#include <thread>

#include "cli/output.hpp"
#include "common/http_client.hpp"

namespace balctl::cli {
namespace {

constexpr auto kPoll = std::chrono::milliseconds(100);

}  // namespace

std::string describe_switch(const boost::json::object& failover) {
  if (text(failover, "phase") != "switching") return {};
  std::string out = "switching to " + text(failover, "switching_to") + ", attempt " + text(failover, "attempts");
  const std::string error = text(failover, "last_error");
  if (error != "-" && !error.empty()) out += "; last attempt failed: " + error;
  const auto* next = failover.if_contains("next_attempt_in_ms");
  if (next != nullptr && next->is_int64()) {
    out += "; next attempt in " + std::to_string((next->as_int64() + 999) / 1000) + " s";
  } else {
    out += " under way";
  }
  return out;
}

Status wait_for_pool(ApiClient& client, const std::string& pool, int timeout_s, const std::string& what,
                     const PoolCondition& done) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(timeout_s);
  const std::string path = "/api/v1/pools/" + percent_encode(pool);
  while (true) {
    auto reply = client.call("GET", path);
    if (!reply) return reply.error();
    if (const auto line = done(*reply)) {
      std::cout << *line << "\n";
      return {};
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      std::string state;
      if (const auto* failover = reply->if_contains("failover"); failover != nullptr && failover->is_object()) {
        state = describe_switch(failover->as_object());
      }
      return Error{Errc::unavailable, "timeout",
                   what + " is not finished after " + std::to_string(timeout_s) + " s" +
                       (state.empty() ? "" : " (" + state + ")") +
                       "; it continues in the background. Follow it with 'balctl events --follow --pool " + pool +
                       "', retry at once with 'balctl failover " + pool + " --retry-now', or stop it with 'balctl "
                       "failover " + pool + " --cancel'",
                   {}};
    }
    std::this_thread::sleep_for(kPoll);
  }
}

}  // namespace balctl::cli
