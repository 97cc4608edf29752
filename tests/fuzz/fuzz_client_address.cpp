// X-Forwarded-For as a client (or a trusted proxy in front of the control plane) sends it. The first byte
// picks the trusted-proxy set. Beyond "no crash": the effective address is the peer or an address from
// the header, never a trusted proxy unless every address is one, and it is always a valid IP address
// (it reaches the egress allow-list and dynamic DNS).
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "common/validate.hpp"
#include "fuzz_check.hpp"
#include "server/http/client_address.hpp"

namespace {

using balctl::http::ClientAddressPolicy;

const std::array<ClientAddressPolicy, 4>& policies() {
  static const std::array<ClientAddressPolicy, 4> all = {
      *ClientAddressPolicy::make({"127.0.0.1"}, "X-Forwarded-For"),
      *ClientAddressPolicy::make({"10.0.0.0/8", "::1"}, "X-Forwarded-For"),
      *ClientAddressPolicy::make({"0.0.0.0/0"}, "X-Real-IP"),
      *ClientAddressPolicy::make({"fd00::/8", "192.168.0.0/16", "127.0.0.0/8"}, "X-Forwarded-For"),
  };
  return all;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const auto& policy = policies()[data[0] % 4];
  const std::string peer = (data[0] & 4) ? "127.0.0.1" : ((data[0] & 8) ? "::1" : "10.1.2.3");
  const std::string_view header(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string address = policy.effective(peer, header);
  FUZZ_CHECK(!address.empty());
  FUZZ_CHECK(address == peer || balctl::validate::ip_address(address).has_value());
  FUZZ_CHECK(policy.is_trusted(peer) || address == peer);
  return 0;
}
