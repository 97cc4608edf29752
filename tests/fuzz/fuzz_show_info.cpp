// "show info" text from a hostile or broken stats socket.
#include <cstddef>
#include <cstdint>

#include "agent/collectors/haproxy_parsers.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl;
  const auto info = agent::collectors::parse_show_info({reinterpret_cast<const char*>(data), size});
  if (!info.ok()) {
    FUZZ_CHECK(fuzz::clean(info.error().message, 1024));
    return 0;
  }
  FUZZ_CHECK(fuzz::clean(info->version, 64));
  FUZZ_CHECK(info->uptime_s.value_or(0) >= 0 && info->pid.value_or(0) >= 0);
  return 0;
}
