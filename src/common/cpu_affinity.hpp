// Which CPUs this process may use, and pinning a thread to one of them: for `balctl serve --cpu-affinity`
// (server_app.cpp) and the load generator's stall meter (bench/loadgen/stall_meter.cpp).
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace balctl::cpu {

// The CPUs this process may run on (its affinity mask, e.g. narrowed by taskset or systemd's CPUAffinity=),
// in increasing order.
Result<std::vector<int>> allowed_cpus();

// The CPU for each of `io_threads` threads: thread i gets allowed[i % allowed.size()], so threads share a
// CPU only when there are more threads than CPUs. Empty when `allowed` is empty.
std::vector<int> spread_over(const std::vector<int>& allowed, std::size_t io_threads);

// Restricts the calling thread to `cpu`. Threads it creates afterwards inherit the restriction.
Status pin_current_thread(int cpu);

// "0,1,2" for logs.
std::string cpu_list(const std::vector<int>& cpus);

}  // namespace balctl::cpu
