// Which address a request came from when the control plane sits behind a reverse proxy or TLS terminator.
// Off by default: the TCP peer is the client. With trusted proxies configured, a request whose TCP peer is
// one of them may name the client in a header (X-Forwarded-For style: a comma-separated list, each proxy
// appending the address it saw). The client is the right-most address that is not itself a trusted proxy,
// so a client cannot forge its address by sending the header itself. The effective address is what the
// egress allow-list checks and what dynamic DNS sync publishes.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/result.hpp"

namespace balctl::http {

class ClientAddressPolicy {
 public:
  ClientAddressPolicy() = default;
  // `proxies`: IPv4/IPv6 addresses or networks in CIDR form. `header`: an HTTP header name.
  static Result<ClientAddressPolicy> make(const std::vector<std::string>& proxies, std::string header);

  bool enabled() const { return !networks_.empty(); }
  const std::string& header() const { return header_; }
  bool is_trusted(std::string_view address) const;

  // `peer`: the TCP peer address; `header_value`: the header's value, empty when absent.
  std::string effective(const std::string& peer, std::string_view header_value) const;

 private:
  struct Network {
    std::string bytes;  // address bytes, 4 or 16
    unsigned prefix = 0;
  };
  std::vector<Network> networks_;
  std::string header_;
};

}  // namespace balctl::http
