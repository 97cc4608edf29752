// `balctl serve --cpu-affinity auto`: each I/O thread on a CPU of its own, like nginx's
// `worker_cpu_affinity auto`. Why: on a small VM the kernel sometimes runs both I/O threads on one vCPU,
// taking turns of a scheduler tick, for 100 ms and more while the other vCPU idles, and every heartbeat
// on the waiting thread's connections waits with it (bench/README.md, "Finding where fixed-rate latency
// goes"). Off by default, as in nginx: a pinned thread cannot move away from a CPU that something else
// keeps busy, which is worse on a machine the control plane shares.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.hpp"

namespace balctl::app {

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

}  // namespace balctl::app
