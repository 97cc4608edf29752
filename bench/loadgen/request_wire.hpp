// The wire form of one HTTP/1.1 request of the load generator, shared by its two engines.
#pragma once

#include <string>

#include "bench/loadgen/engine.hpp"

namespace balctl::bench {

inline std::string serialize(const HttpRequest& request, const std::string& host_header) {
  std::string wire;
  wire.reserve(256 + request.authorization.size() + request.body.size());
  wire.append(request.method).append(" ").append(request.target).append(" HTTP/1.1\r\nHost: ");
  wire.append(host_header).append("\r\nUser-Agent: balctl-loadgen\r\nAccept: */*\r\n");
  if (!request.authorization.empty())
    wire.append("Authorization: ").append(request.authorization).append("\r\n");
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT") {
    if (!request.content_type.empty())
      wire.append("Content-Type: ").append(request.content_type).append("\r\n");
    wire.append("Content-Length: ").append(std::to_string(request.body.size())).append("\r\n");
  }
  wire.append("\r\n").append(request.body);
  return wire;
}

}  // namespace balctl::bench
