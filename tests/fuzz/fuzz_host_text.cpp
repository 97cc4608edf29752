// The small host parsers (uptime, loadavg, /proc/stat, os-release) and clean_text(), fed one input.
#include <cmath>
#include <cstddef>
#include <cstdint>

#include "agent/collectors/host_parsers.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl;
  using namespace balctl::agent::collectors;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  if (const auto uptime = parse_uptime(text)) FUZZ_CHECK(std::isfinite(*uptime) && *uptime >= 0);
  if (const auto load = parse_loadavg(text)) {
    for (const double value : *load)
      FUZZ_CHECK(std::isfinite(value) && value >= 0);
  }
  if (const auto cpu = parse_cpu_times(text)) {
    FUZZ_CHECK(cpu->idle <= cpu->total);
    const auto share = cpu_utilisation({0, 0}, *cpu);
    if (share) FUZZ_CHECK(*share >= 0 && *share <= 100);
  }
  const auto os = parse_os_release(text);
  FUZZ_CHECK(os.size() <= 2 * 256 + 1);
  for (const std::size_t limit : {0UL, 1UL, 3UL, 64UL, 4096UL}) {
    const auto cleaned = clean_text(text, limit);
    FUZZ_CHECK(fuzz::clean(cleaned, limit));
  }
  return 0;
}
