#include "common/cpu_affinity.hpp"

#include <pthread.h>
#include <sched.h>

#include <cerrno>
#include <cstring>

namespace balctl::cpu {

Result<std::vector<int>> allowed_cpus() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (::sched_getaffinity(0, sizeof set, &set) != 0)
    return Error{Errc::unavailable, "cpu_affinity_failed",
                 std::string("cannot read this process's CPU affinity: ") + std::strerror(errno), {}};
  std::vector<int> cpus;
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &set)) cpus.push_back(cpu);
  }
  return cpus;
}

std::vector<int> spread_over(const std::vector<int>& allowed, std::size_t io_threads) {
  std::vector<int> cpus;
  if (allowed.empty()) return cpus;
  for (std::size_t i = 0; i < io_threads; ++i) cpus.push_back(allowed[i % allowed.size()]);
  return cpus;
}

Status pin_current_thread(int cpu) {
  if (cpu < 0 || cpu >= CPU_SETSIZE)
    return Error::invalid("cpu-affinity", "CPU " + std::to_string(cpu) + " does not exist");
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (const int error = ::pthread_setaffinity_np(::pthread_self(), sizeof set, &set); error != 0)
    return Error{Errc::unavailable, "cpu_affinity_failed",
                 "cannot pin an I/O thread to CPU " + std::to_string(cpu) + ": " + std::strerror(error), {}};
  return {};
}

std::string cpu_list(const std::vector<int>& cpus) {
  std::string text;
  for (const int cpu : cpus) text += (text.empty() ? "" : ",") + std::to_string(cpu);
  return text;
}

}  // namespace balctl::cpu
