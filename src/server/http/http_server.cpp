#include "server/http/http_server.hpp"

#include <thread>
#include <vector>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <spdlog/spdlog.h>

#include "common/time.hpp"
#include "common/validate.hpp"
#include "server/http/session.hpp"

namespace balctl::http {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {
// After accept() fails (e.g. out of file descriptors) wait a little instead of spinning.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(50);
constexpr std::int64_t kRejectLogEveryMs = 10'000;
}  // namespace

// Connections are spread round-robin over one io_context per I/O thread, each run by exactly that
// thread: a connection never changes threads, so it needs no strand and no cross-thread wake-ups.
struct HttpServer::Impl {
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

  Impl(asio::io_context& io_context, const Router& router, std::shared_ptr<asio::ssl::context> tls,
       ServerLimits limits, std::size_t io_threads, ClientAddressPolicy client_address)
      : io(io_context),
        state(std::make_shared<ServerState>(router, limits, std::move(tls), std::move(client_address))),
        strand(asio::make_strand(io_context)),
        acceptor(strand),
        retry_timer(strand) {
    for (std::size_t i = 1; i < std::max<std::size_t>(io_threads, 1); ++i) {
      workers.push_back(std::make_unique<asio::io_context>(1));
      guards.emplace_back(workers.back()->get_executor());
    }
  }

  asio::io_context& next_context() {
    const std::size_t index = next_worker++ % (workers.size() + 1);
    return index == 0 ? io : *workers[index - 1];
  }

  void accept() {
    acceptor.async_accept(next_context(), [this](boost::system::error_code ec, tcp::socket socket) {
      on_accept(ec, std::move(socket));
    });
  }

  void on_accept(boost::system::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) return;
    if (ec) {
      spdlog::warn("accept_failed error=\"{}\"", ec.message());
      retry_timer.expires_after(kAcceptRetryDelay);
      retry_timer.async_wait([this](boost::system::error_code wait_ec) {
        if (!wait_ec) accept();
      });
      return;
    }
    if (state->connections.load() >= state->limits.max_connections) {
      reject(socket, "max_connections", state->limits.max_connections);
      return accept();
    }
    const auto endpoint = socket.remote_endpoint(ec);
    if (ec) return accept();  // already gone
    const std::string raw_address = endpoint.address().to_string();
    std::string remote = validate::ip_address(raw_address).value_or(raw_address);
    // A trusted reverse proxy carries many clients over its connections: it is not capped per address.
    const bool capped = !state->client_address.is_trusted(remote);
    if (capped && !state->address_slots.acquire(remote)) {
      reject(socket, "max_connections_per_ip", state->limits.max_connections_per_address);
      return accept();
    }
    state->connections.fetch_add(1);
    start_session(std::move(socket), state, std::move(remote), capped);
    accept();
  }

  void reject(tcp::socket& socket, const char* reason, std::size_t limit) {
    const auto now = time::steady_ms_now();
    if (now - last_reject_log_ms >= kRejectLogEveryMs) {
      spdlog::warn("connection_rejected reason={} limit={}", reason, limit);
      last_reject_log_ms = now;
    }
    boost::system::error_code ignored;
    socket.close(ignored);
  }

  // Declared before the acceptor so that they are destroyed after it: a pending accept holds a socket
  // of the worker that will own the connection (see stop_threads for the order at shutdown).
  std::vector<std::unique_ptr<asio::io_context>> workers;
  std::vector<WorkGuard> guards;
  std::vector<std::thread> threads;
  asio::io_context& io;
  std::shared_ptr<ServerState> state;
  asio::strand<asio::io_context::executor_type> strand;
  tcp::acceptor acceptor;
  asio::steady_timer retry_timer;
  std::int64_t last_reject_log_ms = 0;
  std::size_t next_worker = 0;
  bool stopped = false;
};

HttpServer::HttpServer(asio::io_context& io, const Router& router, std::shared_ptr<asio::ssl::context> tls,
                       ServerLimits limits, std::size_t io_threads, ClientAddressPolicy client_address)
    : impl_(std::make_unique<Impl>(io, router, std::move(tls), limits, io_threads,
                                   std::move(client_address))) {}

HttpServer::~HttpServer() {
  stop_threads();
}

void HttpServer::start_threads(std::function<void(std::size_t)> on_start) {
  for (std::size_t i = 0; i < impl_->workers.size(); ++i) {
    impl_->threads.emplace_back([context = impl_->workers[i].get(), on_start, index = i + 1] {
      if (on_start) on_start(index);
      context->run();
    });
  }
}

// The order matters (issue 13 item 8): the accept pending on `io` was given a socket of a worker context,
// so it must be cancelled and its handler run (which destroys that socket) while the worker still
// exists. Then the workers stop and join; their contexts are destroyed with Impl, after the acceptor.
void HttpServer::stop_threads() {
  if (!impl_->stopped) {
    impl_->stopped = true;
    boost::system::error_code ignored;
    impl_->acceptor.close(ignored);  // `io` has stopped: nothing else touches the acceptor now
    impl_->retry_timer.cancel();
    impl_->io.restart();
    impl_->io.poll();  // completes the cancelled accept (operation_aborted) and whatever else is ready
  }
  for (auto& guard : impl_->guards)
    guard.reset();
  for (auto& worker : impl_->workers)
    worker->stop();
  for (auto& thread : impl_->threads)
    thread.join();
  impl_->threads.clear();
}

Status HttpServer::listen(const std::string& address, unsigned short port) {
  boost::system::error_code ec;
  const auto ip = asio::ip::make_address(address, ec);
  if (ec) return Error::invalid("listen", "'" + address + "' is not an IP address");
  const tcp::endpoint endpoint(ip, port);
  auto& acceptor = impl_->acceptor;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return Error{Errc::unavailable,
                 "listen_failed",
                 "cannot listen on " + address + ":" + std::to_string(port) + ": " + ec.message(),
                 {}};
  }
  impl_->accept();
  return {};
}

unsigned short HttpServer::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

void HttpServer::begin_shutdown() {
  auto state = impl_->state;
  state->shutting_down = true;
  asio::post(impl_->strand, [impl = impl_.get()] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
    impl->retry_timer.cancel();
  });
  // Collect first: dropping the last reference to a session runs its destructor, which takes the lock.
  std::vector<std::shared_ptr<SessionControl>> sessions;
  {
    std::lock_guard lock(state->sessions_mutex);
    for (const auto& [raw, weak] : state->sessions) {
      if (auto session = weak.lock()) sessions.push_back(std::move(session));
    }
  }
  for (const auto& session : sessions)
    session->close_if_idle();
}

std::size_t HttpServer::open_connections() const {
  return impl_->state->connections.load();
}

}  // namespace balctl::http
