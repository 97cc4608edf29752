// Waiting for the control plane to finish what a verb started (a failover, a publish, a removal): polls
// the pool until a condition holds. When time runs out the error says plainly that the work goes on in
// the background, what it is doing, and how to follow, retry or cancel it.
#pragma once

#include <boost/json/object.hpp>

#include <functional>
#include <optional>
#include <string>

#include "cli/api_client.hpp"
#include "common/result.hpp"

namespace balctl::cli {

// Returns the line to print once `pool` (GET /api/v1/pools/POOL) shows the wait is over, else nullopt.
using PoolCondition = std::function<std::optional<std::string>(const boost::json::object& pool)>;

// `what` names the work in the timeout message ("the cutover to lb2").
Status wait_for_pool(ApiClient& client, const std::string& pool, int timeout_s, const std::string& what,
                     const PoolCondition& done);

// What a switch in progress is doing, from a pool's "failover" object: "attempt 3 failed (...); next
// attempt in 4 s". Empty when no switch is in progress.
std::string describe_switch(const boost::json::object& failover);

}  // namespace balctl::cli
