#include "server/http/client_address.hpp"

#include <optional>

#include <boost/asio/ip/address.hpp>

#include "common/validate.hpp"

namespace balctl::http {
namespace {

namespace ip = boost::asio::ip;

// Address bytes of an IPv4 or IPv6 address; an IPv4-mapped IPv6 address counts as its IPv4 address.
std::optional<std::string> address_bytes(std::string_view text) {
  boost::system::error_code ec;
  auto address = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    address = ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  if (address.is_v4()) {
    const auto b = address.to_v4().to_bytes();
    return std::string(b.begin(), b.end());
  }
  const auto b = address.to_v6().to_bytes();
  return std::string(b.begin(), b.end());
}

bool prefix_matches(const std::string& address, const std::string& network, unsigned prefix) {
  if (address.size() != network.size()) return false;
  for (unsigned bit = 0; bit < prefix; ++bit) {
    const auto mask = static_cast<unsigned char>(0x80u >> (bit % 8));
    if ((static_cast<unsigned char>(address[bit / 8]) & mask) !=
        (static_cast<unsigned char>(network[bit / 8]) & mask)) {
      return false;
    }
  }
  return true;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t'))
    text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t'))
    text.remove_suffix(1);
  return text;
}

bool is_header_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return false;
  }
  return true;
}

}  // namespace

Result<ClientAddressPolicy> ClientAddressPolicy::make(const std::vector<std::string>& proxies,
                                                      std::string header) {
  if (!is_header_name(header)) {
    return Error::invalid("client-ip-header",
                          "'" + header + "' is not an HTTP header name (letters, digits, '-')");
  }
  ClientAddressPolicy policy;
  policy.header_ = std::move(header);
  for (const auto& entry : proxies) {
    const auto slash = entry.find('/');
    const std::string address = entry.substr(0, slash);
    auto bytes = address_bytes(address);
    const std::string bad =
        "'" + entry + "' is not an IP address or a network in CIDR form (e.g. 10.0.0.0/8)";
    if (!bytes) return Error::invalid("trusted-proxy", bad);
    const unsigned width = static_cast<unsigned>(bytes->size() * 8);
    unsigned prefix = width;
    if (slash != std::string::npos) {
      const auto digits = entry.substr(slash + 1);
      if (digits.empty() || digits.size() > 3 ||
          digits.find_first_not_of("0123456789") != std::string::npos) {
        return Error::invalid("trusted-proxy", bad);
      }
      prefix = static_cast<unsigned>(std::stoul(digits));
      if (prefix > width) return Error::invalid("trusted-proxy", bad);
    }
    policy.networks_.push_back({std::move(*bytes), prefix});
  }
  return policy;
}

bool ClientAddressPolicy::is_trusted(std::string_view address) const {
  const auto bytes = address_bytes(address);
  if (!bytes) return false;
  for (const auto& network : networks_) {
    if (prefix_matches(*bytes, network.bytes, network.prefix)) return true;
  }
  return false;
}

std::string ClientAddressPolicy::effective(const std::string& peer, std::string_view header_value) const {
  if (!enabled() || header_value.empty() || !is_trusted(peer)) return peer;
  // Walk from the right: every hop appended by one of our proxies is skipped; the first other address is
  // the client. A malformed entry means the chain cannot be trusted: fall back to the peer.
  std::string_view rest = header_value;
  std::string last_trusted;
  while (!rest.empty()) {
    const auto comma = rest.rfind(',');
    const auto item = trim(comma == std::string_view::npos ? rest : rest.substr(comma + 1));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(0, comma);
    auto canonical = validate::ip_address(std::string(item));
    if (!canonical) return peer;
    if (!is_trusted(*canonical)) return *canonical;
    last_trusted = *canonical;
  }
  return last_trusted.empty() ? peer : last_trusted;
}

}  // namespace balctl::http
