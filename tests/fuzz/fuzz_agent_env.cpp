// agent.env as the agent reads it at start and on SIGHUP (written by --enrol from reply values, or edited
// by hand). What parses must render and parse back to the same configuration: a value that rendered into
// something else (a newline adding a key, a quote ending the value) would change the configuration.
#include <cstddef>
#include <cstdint>

#include "agent/agent_env.hpp"
#include "fuzz_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace balctl::agent;
  const auto config = parse_agent_env(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!config) {
    FUZZ_CHECK(!config.error().message.empty());
    return 0;
  }
  const std::string rendered = render_agent_env(*config);
  const auto again = parse_agent_env(rendered);
  FUZZ_CHECK(again.ok());
  FUZZ_CHECK(again->api_base == config->api_base && again->member_id == config->member_id &&
             again->member_secret == config->member_secret && again->ca_cert == config->ca_cert &&
             again->server_key == config->server_key && again->haproxy_socket == config->haproxy_socket &&
             again->haproxy_unit == config->haproxy_unit &&
             again->haproxy_pidfile == config->haproxy_pidfile &&
             again->bind_address == config->bind_address);
  return 0;
}
