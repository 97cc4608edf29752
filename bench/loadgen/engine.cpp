// The only translation unit of balctl-loadgen that sees Boost.Beast and Asio.
//
// Threads: one io_context per client thread, each run by exactly one thread, so a connection's state is
// only ever touched by its own thread and needs no locks. Every thread counts into its own RunResult;
// the results are merged after the threads have been joined.
//
// Phases of every run, orchestrated by the calling thread:
//   1. connect: all connections connect and handshake (at most kConnectsInFlight per thread at once,
//      see run_state.hpp);
//   2. load: once every connection is up (or has failed), the measured window starts for all at once;
//   3. finish: wait (bounded) for every connection to finish, then stop the threads.
#include "bench/loadgen/engine.hpp"
#include "bench/loadgen/request_wire.hpp"
#include "bench/loadgen/run_state.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace balctl::bench {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr int kMaxReconnects = 3;      // per connection and run
constexpr std::uint64_t kMaxReplyBytes = 8 << 20;
constexpr auto kFinishSlack = std::chrono::seconds(5);

// ---- transport: one keep-alive connection, TLS or plain ------------------------------------------------

struct Endpoint {
  tcp::endpoint address;
  std::string host_header;
  asio::ssl::context* tls = nullptr;  // null: plain HTTP
  std::chrono::milliseconds timeout;
};

class Transport {
 public:
  using Done = std::function<void(std::string failure)>;  // empty failure: success
  using ReplyDone =
      std::function<void(std::string failure, unsigned status, std::string body, bool keep_alive)>;
  virtual ~Transport() = default;
  virtual void connect(Done done) = 0;
  virtual void exchange(const std::string& wire, ReplyDone done) = 0;
  virtual void close() = 0;
};

std::string describe(const char* what, const beast::error_code& ec) {
  return std::string(what) + ": " + ec.message();
}

template <class Stream>
class StreamTransport final : public Transport {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  StreamTransport(asio::io_context& io, const Endpoint& endpoint) : io_(io), endpoint_(endpoint) {}

  void connect(Done done) override {
    if constexpr (kTls) {
      stream_.emplace(io_.get_executor(), *endpoint_.tls);
      // Asio turns SSL_MODE_RELEASE_BUFFERS on for every stream: each request would then allocate and
      // free OpenSSL's 17 KB record buffers. The load generator keeps them, trading memory for CPU that
      // it shares with the server under test.
      SSL_clear_mode(stream_->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    } else {
      stream_.emplace(io_.get_executor());
    }
    buffer_.clear();
    lowest().expires_after(endpoint_.timeout);
    lowest().async_connect(endpoint_.address, [this, done = std::move(done)](beast::error_code ec) mutable {
      if (ec) return done(describe("connect", ec));
      beast::error_code ignored;
      lowest().socket().set_option(tcp::no_delay(true), ignored);
      if constexpr (kTls) {
        stream_->async_handshake(asio::ssl::stream_base::client,
                                 [done = std::move(done)](beast::error_code handshake_ec) {
                                   done(handshake_ec ? describe("handshake", handshake_ec) : std::string());
                                 });
      } else {
        done({});
      }
    });
  }

  void exchange(const std::string& wire, ReplyDone done) override {
    lowest().expires_after(endpoint_.timeout);
    asio::async_write(*stream_, asio::buffer(wire),
                      [this, done = std::move(done)](beast::error_code ec, std::size_t) mutable {
                        if (ec) return done(describe("write", ec), 0, {}, false);
                        parser_.emplace();
                        parser_->body_limit(kMaxReplyBytes);
                        bhttp::async_read(
                            *stream_, buffer_, *parser_,
                            [this, done = std::move(done)](beast::error_code read_ec, std::size_t) {
                              if (read_ec) return done(describe("read", read_ec), 0, {}, false);
                              auto& message = parser_->get();
                              done({}, message.result_int(), std::move(message.body()), message.keep_alive());
                            });
                      });
  }

  void close() override {
    if (!stream_) return;
    beast::error_code ignored;
    lowest().socket().close(ignored);
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(*stream_); }

  asio::io_context& io_;
  const Endpoint& endpoint_;
  std::optional<Stream> stream_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::response_parser<bhttp::string_body>> parser_;
};

std::unique_ptr<Transport> make_transport(asio::io_context& io, const Endpoint& endpoint) {
  if (endpoint.tls)
    return std::make_unique<StreamTransport<beast::ssl_stream<beast::tcp_stream>>>(io, endpoint);
  return std::make_unique<StreamTransport<beast::tcp_stream>>(io, endpoint);
}

// ---- run orchestration ------------------------------------------------------------------------------

// Base of the three drivers: connect phase with bounded reconnects, finishing exactly once.
class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(Worker& worker, const Endpoint& endpoint, Progress& progress)
      : worker_(worker), progress_(progress), transport_(make_transport(worker.io, endpoint)) {}
  virtual ~Connection() = default;

  // Phase 1 (on the worker thread).
  void open() {
    worker_.launch_connect([self = shared_from_this()] {
      self->transport_->connect([self](std::string failure) {
        self->worker_.connect_finished();
        if (failure.empty()) {
          self->connected_ = true;
          ++self->worker_.result.connections_opened;
          self->progress_.opened.fetch_add(1);
          self->after_open();
        } else {
          self->worker_.record_failure(failure);
          self->progress_.add_ready();
        }
      });
    });
  }
  // Phase 2 (posted to the worker thread once every connection is ready).
  virtual void begin(Clock::time_point start) = 0;
  // After the threads stopped: a request still waiting for its reply is an error.
  void account_unfinished() {
    if (in_flight_) worker_.record_failure("no reply before the end of the run");
  }
  void close() {
    if (connected_) progress_.opened.fetch_sub(1);
    connected_ = false;
    transport_->close();
  }
  Worker& worker() { return worker_; }

 protected:
  // Default: ready for phase 2 as soon as the connection is up.
  virtual void after_open() { progress_.add_ready(); }

  void finish() {
    if (finished_) return;
    finished_ = true;
    progress_.add_finished();
  }

  // Reconnects after a failure or a "Connection: close" reply; `then(ok)` continues the driver.
  void reconnect(std::function<void(bool)> then) {
    close();
    if (reconnects_ >= kMaxReconnects) return then(false);
    ++reconnects_;
    transport_->connect([self = shared_from_this(), then = std::move(then)](std::string failure) {
      if (!failure.empty()) {
        self->worker_.record_failure(failure);
        return then(false);
      }
      self->connected_ = true;
      ++self->worker_.result.connections_opened;
      self->progress_.opened.fetch_add(1);
      then(true);
    });
  }

  Worker& worker_;
  Progress& progress_;
  std::unique_ptr<Transport> transport_;
  std::string wire_;
  bool connected_ = false;
  bool in_flight_ = false;
  bool finished_ = false;
  int reconnects_ = 0;
};

class ClosedConnection final : public Connection {
 public:
  ClosedConnection(Worker& worker, const Endpoint& endpoint, Progress& progress, const ClosedLoop& spec,
                   std::size_t id, Clock::time_point* deadline)
      : Connection(worker, endpoint, progress),
        spec_(spec),
        id_(id),
        deadline_(deadline),
        host_(endpoint.host_header) {}

  void begin(Clock::time_point) override {
    if (!connected_) return finish();
    send_next();
  }

 private:
  void send_next() {
    if (Clock::now() >= *deadline_ || progress_.issued.fetch_add(1) >= spec_.max_requests) return finish();
    request_ = spec_.next(id_);
    if (!request_) return finish();
    wire_ = serialize(*request_, host_);
    sent_ = Clock::now();
    in_flight_ = true;
    transport_->exchange(wire_, [self = std::static_pointer_cast<ClosedConnection>(shared_from_this())](
                                    std::string failure, unsigned status, std::string body, bool keep_alive) {
      self->on_reply(std::move(failure), status, std::move(body), keep_alive);
    });
  }

  void on_reply(std::string failure, unsigned status, std::string body, bool keep_alive) {
    in_flight_ = false;
    if (!failure.empty()) {
      worker_.record_failure(failure);
      return continue_after_reconnect();
    }
    worker_.record_reply(status, body, Clock::now() - sent_);
    if (spec_.on_reply) spec_.on_reply(*request_, HttpReply{status, std::move(body)});
    if (!keep_alive) return continue_after_reconnect();
    send_next();
  }

  void continue_after_reconnect() {
    if (Clock::now() >= *deadline_) return finish();
    reconnect([self = std::static_pointer_cast<ClosedConnection>(shared_from_this())](bool ok) {
      if (!ok) return self->finish();
      self->send_next();
    });
  }

  const ClosedLoop& spec_;
  const std::size_t id_;
  const Clock::time_point* deadline_;  // written before phase 2 is posted, read-only afterwards
  const std::string& host_;
  std::optional<HttpRequest> request_;
  Clock::time_point sent_;
};

class IdleConnection final : public Connection {
 public:
  IdleConnection(Worker& worker, const Endpoint& endpoint, Progress& progress,
                 std::optional<HttpRequest> warm)
      : Connection(worker, endpoint, progress), warm_(std::move(warm)), host_(endpoint.host_header) {}

  void begin(Clock::time_point) override {}

 private:
  void after_open() override {
    if (!warm_) return progress_.add_ready();
    wire_ = serialize(*warm_, host_);
    const auto sent = Clock::now();
    in_flight_ = true;
    transport_->exchange(wire_, [self = std::static_pointer_cast<IdleConnection>(shared_from_this()), sent](
                                    std::string failure, unsigned status, std::string body, bool) {
      self->in_flight_ = false;
      if (!failure.empty()) {
        self->worker_.record_failure(failure);
      } else {
        self->worker_.record_reply(status, body, Clock::now() - sent);
      }
      self->progress_.add_ready();
    });
  }

  std::optional<HttpRequest> warm_;
  const std::string& host_;
};

// Owns the threads, the TLS context and the connections of one run.
class Run {
 public:
  explicit Run(const Target& target) : workers_(static_cast<std::size_t>(std::max(1, target.threads))) {
    boost::system::error_code ec;
    const auto address = asio::ip::make_address(target.host, ec);
    if (ec || !address.is_loopback()) throw std::runtime_error("only 127.0.0.0/8 or ::1 targets are allowed");
    endpoint_.address = tcp::endpoint(address, target.port);
    endpoint_.host_header = target.host + ":" + std::to_string(target.port);
    endpoint_.timeout = target.request_timeout;
    if (target.tls) {
      tls_.emplace(asio::ssl::context::tls_client);
      if (target.ca_cert.empty()) {
        tls_->set_verify_mode(asio::ssl::verify_none);
      } else {
        tls_->load_verify_file(target.ca_cert);
        tls_->set_verify_mode(asio::ssl::verify_peer);
      }
      endpoint_.tls = &*tls_;
    }
    timeout_ = target.request_timeout;
  }

  ~Run() { stop(); }

  template <class Make>
  void add_connections(std::size_t count, Make make) {
    for (std::size_t i = 0; i < count; ++i) {
      Worker& worker = workers_[i % workers_.size()];
      connections_.push_back(make(worker, endpoint_, progress_, i));
    }
  }

  // Phase 1; returns false if the connections were not all up (or failed) in time.
  bool open_all() {
    for (auto& worker : workers_)
      guards_.emplace_back(worker.io.get_executor());
    for (auto& worker : workers_)
      threads_.emplace_back([&worker] { worker.io.run(); });
    for (auto& connection : connections_) {
      Worker* worker = worker_of(connection);
      asio::post(worker->io, [connection] { connection->open(); });
    }
    // Bounded: a generous handshake budget that grows with the number of connections.
    const auto budget = timeout_ * 2 + std::chrono::milliseconds(5 * connections_.size());
    return progress_.wait_for([this] { return progress_.ready; }, connections_.size(), Clock::now() + budget);
  }

  // Phase 2: starts every connection at `start`, waits until all finished or `hard_deadline`.
  bool load(Clock::time_point start, Clock::time_point hard_deadline) {
    for (auto& connection : connections_) {
      asio::post(worker_of(connection)->io, [connection, start] { connection->begin(start); });
    }
    return progress_.wait_for([this] { return progress_.finished; }, connections_.size(), hard_deadline);
  }

  RunResult stop_and_collect(double elapsed_s) {
    stop();
    RunResult total;
    for (auto& connection : connections_)
      connection->account_unfinished();
    for (auto& worker : workers_)
      merge_into(total, worker.result);
    total.elapsed_s = elapsed_s;
    return total;
  }

  Progress& progress() { return progress_; }
  std::chrono::milliseconds timeout() const { return timeout_; }

 private:
  static Worker* worker_of(const std::shared_ptr<Connection>& connection) { return &connection->worker(); }

  void stop() {
    if (stopped_) return;
    stopped_ = true;
    for (auto& worker : workers_)
      worker.io.stop();
    for (auto& thread : threads_)
      thread.join();
    guards_.clear();
    // No thread runs the connections any more, so they can be closed from here.
    for (auto& connection : connections_)
      connection->close();
  }

  std::deque<Worker> workers_;
  Endpoint endpoint_;
  std::optional<asio::ssl::context> tls_;
  std::chrono::milliseconds timeout_{};
  Progress progress_;
  std::vector<std::shared_ptr<Connection>> connections_;
  std::vector<asio::executor_work_guard<asio::io_context::executor_type>> guards_;
  std::vector<std::thread> threads_;
  bool stopped_ = false;
};

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

}  // namespace

RunResult run_closed_loop(const Target& target, const ClosedLoop& spec) {
  Run run(target);
  Clock::time_point deadline = Clock::time_point::max();
  run.add_connections(static_cast<std::size_t>(std::max(1, spec.connections)),
                      [&](Worker& worker, const Endpoint& endpoint, Progress& progress, std::size_t id) {
                        return std::make_shared<ClosedConnection>(worker, endpoint, progress, spec, id,
                                                                  &deadline);
                      });
  run.open_all();
  const auto start = Clock::now();
  deadline = start + spec.duration;
  run.load(start, deadline + run.timeout() + kFinishSlack);
  return run.stop_and_collect(seconds_since(start));
}

RunResult hold_idle(const Target& target, int connections, std::chrono::milliseconds hold,
                    const std::function<std::optional<HttpRequest>(std::size_t connection)>& warm,
                    const std::function<void(std::uint64_t open)>& on_ready) {
  Run run(target);
  run.add_connections(static_cast<std::size_t>(std::max(1, connections)),
                      [&](Worker& worker, const Endpoint& endpoint, Progress& progress, std::size_t id) {
                        return std::make_shared<IdleConnection>(worker, endpoint, progress,
                                                                warm ? warm(id) : std::nullopt);
                      });
  const auto start = Clock::now();
  run.open_all();
  on_ready(run.progress().opened.load());
  std::this_thread::sleep_for(hold);
  return run.stop_and_collect(seconds_since(start));
}

}  // namespace balctl::bench
