// Internal to the HTTP server: state shared by the listener and its sessions.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <unordered_map>

#include <boost/asio/ip/tcp.hpp>

#include "server/http/address_slots.hpp"
#include "server/http/client_address.hpp"
#include "server/http/http_server.hpp"
#include "server/http/router.hpp"

namespace balctl::http {

class SessionControl {
 public:
  virtual ~SessionControl() = default;
  // Called on shutdown: a session waiting for a request closes; one handling a request finishes first.
  virtual void close_if_idle() = 0;
};

struct ServerState {
  ServerState(const Router& r, ServerLimits l, std::shared_ptr<boost::asio::ssl::context> t,
              ClientAddressPolicy c)
      : router(r),
        limits(l),
        tls(std::move(t)),
        client_address(std::move(c)),
        address_slots(l.max_connections_per_address) {}

  const Router& router;
  const ServerLimits limits;
  const std::shared_ptr<boost::asio::ssl::context> tls;
  const ClientAddressPolicy client_address;
  AddressSlots address_slots;
  std::atomic<std::size_t> connections{0};
  std::atomic<bool> shutting_down{false};
  std::mutex sessions_mutex;
  std::unordered_map<const SessionControl*, std::weak_ptr<SessionControl>> sessions;
};

// Takes ownership of an accepted socket from `remote` and serves it until it closes; the session gives
// back one of state->connections and, when `holds_address_slot`, one of remote's address slots.
void start_session(boost::asio::ip::tcp::socket socket, const std::shared_ptr<ServerState>& state,
                   std::string remote, bool holds_address_slot);

}  // namespace balctl::http
