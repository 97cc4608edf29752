// /proc/meminfo as a broken or future kernel might write it.
#include <cstddef>
#include <cstdint>

#include "agent/collectors/host_parsers.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto memory = balctl::agent::collectors::parse_meminfo({reinterpret_cast<const char*>(data), size});
  if (memory)
    FUZZ_CHECK(memory->total_kb > 0 && memory->available_kb >= 0 && memory->available_kb <= memory->total_kb);
  return 0;
}
