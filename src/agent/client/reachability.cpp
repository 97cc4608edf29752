#include "agent/client/reachability.hpp"

#include <boost/url/parse.hpp>

#include <charconv>

#include "common/tcp_probe.hpp"

namespace balctl::agent {

bool split_host_port(const std::string& url, std::string& host, std::string& port) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed || !parsed->has_authority()) return false;
  host = parsed->host_address();
  if (!host.empty() && host.front() == '[') host = host.substr(1, host.size() - 2);
  port = parsed->has_port() ? std::string(parsed->port()) : (parsed->scheme() == "http" ? "80" : "443");
  return !host.empty();
}

bool tcp_reachable(const std::string& url, const std::string& bind_address, std::chrono::milliseconds timeout) {
  std::string host;
  std::string port;
  if (!split_host_port(url, host, port)) return false;
  int number = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (ec != std::errc() || end != port.data() + port.size()) return false;
  return tcp_connects(host, number, timeout, bind_address);
}

}  // namespace balctl::agent
