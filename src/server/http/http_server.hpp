// The HTTP/1.1 server: accepts on one address, TLS or plain, keep-alive, explicit limits, graceful
// shutdown. Requests are handed to a Router; Boost.Beast stays inside http_server.cpp and session.cpp.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "common/result.hpp"
#include "server/http/client_address.hpp"
#include "server/http/router.hpp"

namespace boost::asio {
class io_context;
namespace ssl {
class context;
}
}  // namespace boost::asio

namespace balctl::http {

struct ServerLimits {
  std::size_t max_body_bytes = 1 << 20;
  std::size_t max_header_bytes = 16 * 1024;
  // Time allowed for the TLS handshake and the head of the first request of a connection (counted from
  // the accept), and for the head of a later one (counted from its first byte): a client that opens
  // connections and sends nothing, or trickles its headers, loses them after this.
  std::chrono::milliseconds header_timeout{10'000};
  // Time allowed for a request body after its head, and how long an idle keep-alive connection stays
  // open between requests.
  std::chrono::milliseconds read_timeout{30'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::size_t max_connections = 20'000;
  // Open connections per client (TCP peer) address; a trusted proxy is not limited.
  std::size_t max_connections_per_address = 64;
};

class HttpServer {
 public:
  // `io` runs the listener and one share of the connections; io_threads - 1 more io_contexts, each with
  // its own thread (start_threads), take the others.
  HttpServer(boost::asio::io_context& io, const Router& router,
             std::shared_ptr<boost::asio::ssl::context> tls, ServerLimits limits, std::size_t io_threads,
             ClientAddressPolicy client_address = {});
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts accepting. Port 0 picks a free port (see port()).
  Status listen(const std::string& address, unsigned short port);
  unsigned short port() const;

  // `on_start(i)` runs first on I/O thread i (1 .. io_threads - 1; 0 is the caller's, running `io`).
  void start_threads(std::function<void(std::size_t)> on_start = {});
  // Closes the listener, runs what `io` still has ready (the cancelled accept), then stops and joins
  // the extra threads. Call after `io` has stopped, from the thread that ran it. Idempotent.
  void stop_threads();

  // Stops accepting and closes idle connections; requests being handled still get their response.
  void begin_shutdown();
  std::size_t open_connections() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace balctl::http
