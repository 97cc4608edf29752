#include "server/api/agent_assets.hpp"

#include <system_error>

namespace balctl::api {

namespace assets {
// Defined in the generated agent_assets_data.cpp.
extern const char* const kInstallScript;
extern const char* const kHeartbeatUnit;
}  // namespace assets

std::string_view install_script() { return assets::kInstallScript; }
std::string_view heartbeat_unit() { return assets::kHeartbeatUnit; }

std::filesystem::path default_agent_binary() {
  std::error_code ec;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "/usr/bin/balctl-agent";
  return self.parent_path() / "balctl-agent";
}

}  // namespace balctl::api
