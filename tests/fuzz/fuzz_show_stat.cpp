// "show stat" CSV from a hostile or broken stats socket.
#include <cstddef>
#include <cstdint>

#include "agent/collectors/haproxy_parsers.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto stat = agent::collectors::parse_show_stat(text);
  if (!stat.ok()) {
    FUZZ_CHECK(fuzz::clean(stat.error().message, 1024));
    return 0;
  }
  FUZZ_CHECK(stat->rows.size() <= protocol::kMaxHaproxyRows);
  for (const auto& row : stat->rows) {
    FUZZ_CHECK(!row.proxy.empty() && fuzz::clean(row.proxy, 255));
    FUZZ_CHECK(!row.service.empty() && fuzz::clean(row.service, 255));
    FUZZ_CHECK(fuzz::clean(row.type, 16) && fuzz::clean(row.status, 64) && fuzz::clean(row.check_status, 64));
    FUZZ_CHECK(row.current_sessions >= 0 && row.session_rate >= 0 && row.bytes_in >= 0 && row.bytes_out >= 0);
  }
  return 0;
}
