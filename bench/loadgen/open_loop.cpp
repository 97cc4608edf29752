// The fixed-rate (open-loop) driver: one epoll loop per client thread, OpenSSL on the non-blocking socket
// (SSL_set_fd), Beast's HTTP parser fed by hand. No Asio here, on purpose: with one connection per member
// (10 000) nearly every heartbeat is a wake-up of its own, and on a 2-core machine shared with the server
// under test the Asio engine's per-request overhead (asio::ssl's staging copies, a speculative read that
// finds nothing before each reply, a timerfd update per send) cost ~70 µs of CPU per request, as much
// as the server it measures. Here a request costs one write(2), one read(2) and a share of one
// epoll_pwait2, and sends due in the same millisecond share a wake-up (like wrk2's millisecond timers).
//
// Phases, as in the Asio engine: every thread connects and handshakes its connections (at most
// kConnectsInFlight at once), the orchestrating thread starts the schedule once all threads are ready,
// then each thread runs its members' schedule to the end and waits (bounded) for the last replies.
// A connection that fails is not reopened: its remaining sends count as errors.
#include "bench/loadgen/engine.hpp"
#include "bench/loadgen/request_wire.hpp"
#include "bench/loadgen/run_state.hpp"
#include "bench/loadgen/stall_meter.hpp"

#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <memory>
#include <queue>
#include <stdexcept>
#include <thread>

#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace balctl::bench {
namespace {

namespace bhttp = boost::beast::http;

constexpr auto kLateThreshold = std::chrono::milliseconds(1);
constexpr auto kSendGrid = std::chrono::milliseconds(1);
constexpr auto kMaxWait = std::chrono::milliseconds(50);  // re-check deadlines at least this often
constexpr std::size_t kReadChunk = 16 * 1024;
constexpr std::uint64_t kMaxReplyBytes = 1 << 20;
constexpr int kEvents = 256;

struct SslCtxFree {
  void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
using SslContext = std::unique_ptr<SSL_CTX, SslCtxFree>;

SslContext make_tls_context(const Target& target) {
  SslContext context(SSL_CTX_new(TLS_client_method()));
  if (!context) throw std::runtime_error("cannot create a TLS context");
  if (target.ca_cert.empty()) {
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_NONE, nullptr);
  } else {
    if (SSL_CTX_load_verify_locations(context.get(), target.ca_cert.c_str(), nullptr) != 1)
      throw std::runtime_error("cannot load CA certificate " + target.ca_cert);
    SSL_CTX_set_verify(context.get(), SSL_VERIFY_PEER, nullptr);
  }
  // Keep OpenSSL's record buffers between requests: releasing them costs a malloc/free pair per request.
  SSL_CTX_clear_mode(context.get(), SSL_MODE_RELEASE_BUFFERS);
  SSL_CTX_set_options(context.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
  // One read(2) takes a whole reply instead of a record header first and its body second.
  SSL_CTX_set_read_ahead(context.get(), 1);
  return context;
}

sockaddr_in loopback_address(const Target& target) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(target.port);
  if (inet_pton(AF_INET, target.host.c_str(), &address.sin_addr) != 1 ||
      (ntohl(address.sin_addr.s_addr) >> 24) != 127) {
    throw std::runtime_error("only 127.0.0.0/8 targets are allowed");
  }
  return address;
}

struct Connection {
  enum class State { waiting_to_connect, connecting, handshaking, idle, writing, reading, done, failed };
  State state = State::waiting_to_connect;
  int fd = -1;
  SSL* ssl = nullptr;
  std::vector<std::size_t> members;  // sorted by phase
  std::size_t index = 0;             // next member to send for
  std::uint64_t round = 0;
  Clock::time_point scheduled;  // exact schedule of the request in flight
  Clock::time_point sent;       // when it was handed to the socket
  Clock::time_point deadline;   // of the current connect, write or reply
  std::string wire;
  std::string input;  // decrypted bytes not yet parsed
  std::unique_ptr<bhttp::response_parser<bhttp::string_body>> parser;  // movable, unlike the parser
};

struct Shared {
  const Target& target;
  const OpenLoop& spec;
  SSL_CTX* tls = nullptr;  // null: plain HTTP
  sockaddr_in address{};
  std::string host_header;
  std::atomic<std::size_t> threads_ready{0};
  std::atomic<Clock::rep> start{0};  // set once every thread is ready; 0: not yet
};

class ThreadLoop {
 public:
  ThreadLoop(Shared& shared, std::vector<std::vector<std::size_t>> member_lists) : shared_(shared) {
    epoll_ = epoll_create1(EPOLL_CLOEXEC);
    if (epoll_ < 0) throw std::runtime_error("epoll_create1 failed");
    connections_.resize(member_lists.size());
    for (std::size_t i = 0; i < member_lists.size(); ++i) {
      auto& c = connections_[i];
      c.members = std::move(member_lists[i]);
      std::sort(c.members.begin(), c.members.end(),
                [&](std::size_t a, std::size_t b) { return shared_.spec.phases[a] < shared_.spec.phases[b]; });
    }
  }
  ~ThreadLoop() {
    for (auto& c : connections_) {
      if (c.ssl != nullptr) SSL_free(c.ssl);
      if (c.fd >= 0) ::close(c.fd);
    }
    ::close(epoll_);
  }
  ThreadLoop(const ThreadLoop&) = delete;
  ThreadLoop& operator=(const ThreadLoop&) = delete;

  void run() {
    connect_all();
    shared_.threads_ready.fetch_add(1);
    Clock::rep start = 0;
    while ((start = shared_.start.load()) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    start_ = Clock::time_point(Clock::duration(start));
    measured_from_ = start_ + shared_.spec.warmup;
    end_ = measured_from_ + shared_.spec.duration;
    unfinished_ = connections_.size();
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      if (connections_[i].state == State::failed) {
        --unfinished_;
        count_lost(connections_[i]);  // never connected: every send it had is an error
      } else {
        schedule_next(i);
      }
    }
    const auto give_up = end_ + shared_.spec.grace + shared_.target.request_timeout;
    while (unfinished_ > 0 && Clock::now() < give_up) {
      send_due();
      wait_and_drive(next_wake());
      expire_deadlines();
    }
    for (auto& c : connections_) {
      if (c.state == Connection::State::writing || c.state == Connection::State::reading)
        stats_.record_failure("no reply before the end of the run");
    }
  }

  Stats& stats() { return stats_; }

 private:
  using State = Connection::State;

  // ---- phase 1: connect and handshake ----------------------------------------------------------------

  void connect_all() {
    const auto give_up = Clock::now() + shared_.target.request_timeout * 2 +
                         std::chrono::milliseconds(5 * connections_.size());
    std::size_t next = 0;
    while (Clock::now() < give_up) {
      while (connecting_ < kConnectsInFlight && next < connections_.size()) start_connect(next++);
      if (connecting_ == 0 && next == connections_.size()) return;
      wait_and_drive(Clock::now() + kMaxWait);
      expire_deadlines();
    }
  }

  void start_connect(std::size_t i) {
    auto& c = connections_[i];
    c.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c.fd < 0) return fail(i, std::string("socket: ") + std::strerror(errno));
    const int one = 1;
    ::setsockopt(c.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    ++connecting_;
    c.state = State::connecting;
    c.deadline = Clock::now() + shared_.target.request_timeout;
    epoll_event event{};
    event.events = EPOLLIN | EPOLLOUT | EPOLLET | EPOLLRDHUP;
    event.data.u64 = i;
    if (::epoll_ctl(epoll_, EPOLL_CTL_ADD, c.fd, &event) != 0)
      return fail(i, std::string("epoll_ctl: ") + std::strerror(errno));
    const auto* address = reinterpret_cast<const sockaddr*>(&shared_.address);
    if (::connect(c.fd, address, sizeof shared_.address) != 0 && errno != EINPROGRESS)
      return fail(i, std::string("connect: ") + std::strerror(errno));
  }

  void finish_connect(std::size_t i) {
    auto& c = connections_[i];
    int error = 0;
    socklen_t length = sizeof error;
    ::getsockopt(c.fd, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error == EINPROGRESS) return;
    if (error != 0) return fail(i, std::string("connect: ") + std::strerror(error));
    if (shared_.tls == nullptr) return connected(i);
    c.ssl = SSL_new(shared_.tls);
    if (c.ssl == nullptr) return fail(i, "SSL_new failed");
    SSL_set_fd(c.ssl, c.fd);
    SSL_set_connect_state(c.ssl);
    c.state = State::handshaking;
    handshake(i);
  }

  void handshake(std::size_t i) {
    auto& c = connections_[i];
    ERR_clear_error();
    const int result = SSL_do_handshake(c.ssl);
    if (result == 1) return connected(i);
    const int reason = SSL_get_error(c.ssl, result);
    if (reason == SSL_ERROR_WANT_READ || reason == SSL_ERROR_WANT_WRITE) return;  // next edge
    fail(i, "handshake: " + ssl_failure(reason));
  }

  // From now on only replies (and a close) are waited for: no EPOLLOUT edges after every send.
  void connected(std::size_t i) {
    auto& c = connections_[i];
    --connecting_;
    ++stats_.result.connections_opened;
    c.state = State::idle;
    watch(i, EPOLLIN | EPOLLRDHUP | EPOLLET);
  }

  void watch(std::size_t i, std::uint32_t events) {
    epoll_event event{};
    event.events = events;
    event.data.u64 = i;
    ::epoll_ctl(epoll_, EPOLL_CTL_MOD, connections_[i].fd, &event);
  }

  // ---- phase 2: the schedule -------------------------------------------------------------------------

  Clock::time_point due(const Connection& c) const {
    const auto offset = std::chrono::duration<double, std::milli>(
        (static_cast<double>(c.round) + shared_.spec.phases[c.members[c.index]]) *
        static_cast<double>(shared_.spec.period.count()));
    return start_ + std::chrono::duration_cast<Clock::duration>(offset);
  }
  Clock::time_point on_send_grid(Clock::time_point when) const {
    const auto steps = (when - start_ + kSendGrid - Clock::duration(1)) / kSendGrid;
    return start_ + steps * kSendGrid;
  }
  void advance(Connection& c) {
    if (++c.index == c.members.size()) {
      c.index = 0;
      ++c.round;
    }
  }

  // Queues connection i's next send, or finishes it when the schedule is over.
  void schedule_next(std::size_t i) {
    auto& c = connections_[i];
    if (c.state == State::failed) return;
    if (c.members.empty() || due(c) >= end_) {
      c.state = State::done;
      --unfinished_;
      return;
    }
    if (c.state != State::idle) return fail(i, "not connected");
    sends_.push({on_send_grid(due(c)), i});
  }

  void send_due() {
    const auto now = Clock::now();
    while (!sends_.empty() && sends_.top().first <= now) {
      const auto i = sends_.top().second;
      sends_.pop();
      send(i, now);
    }
  }

  void send(std::size_t i, Clock::time_point now) {
    auto& c = connections_[i];
    if (c.state != State::idle) return;
    c.scheduled = due(c);
    if (c.scheduled >= measured_from_ && now - c.scheduled > kLateThreshold) ++stats_.result.late_sends;
    c.wire = serialize(shared_.spec.make(c.members[c.index], c.round), shared_.host_header);
    advance(c);
    c.parser = std::make_unique<bhttp::response_parser<bhttp::string_body>>();
    c.parser->eager(true);
    c.parser->body_limit(kMaxReplyBytes);
    c.input.clear();
    c.deadline = now + shared_.target.request_timeout;
    c.state = State::writing;
    c.sent = Clock::now();
    write(i);
  }

  void write(std::size_t i) {
    auto& c = connections_[i];
    if (c.ssl != nullptr) {
      ERR_clear_error();
      std::size_t written = 0;
      const int result = SSL_write_ex(c.ssl, c.wire.data(), c.wire.size(), &written);
      if (result != 1) {
        const int reason = SSL_get_error(c.ssl, result);
        if (reason == SSL_ERROR_WANT_WRITE) watch(i, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
        if (reason == SSL_ERROR_WANT_WRITE || reason == SSL_ERROR_WANT_READ) return;  // retried on the edge
        return fail(i, "write: " + ssl_failure(reason));
      }
    } else {
      while (!c.wire.empty()) {
        const auto n = ::send(c.fd, c.wire.data(), c.wire.size(), MSG_NOSIGNAL);
        if (n < 0 && errno == EAGAIN) return watch(i, EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET);
        if (n < 0) return fail(i, std::string("write: ") + std::strerror(errno));
        c.wire.erase(0, static_cast<std::size_t>(n));
      }
    }
    c.state = State::reading;
  }

  // Reads until the reply is complete or the socket is empty. Stopping at a complete reply without the
  // read(2) that would find the socket empty is safe with edge triggering: the server sends nothing
  // more before the next request, and a close after the reply is found by the next read.
  void read(std::size_t i) {
    auto& c = connections_[i];
    char buffer[kReadChunk];
    for (;;) {
      std::size_t got = 0;
      if (c.ssl != nullptr) {
        ERR_clear_error();
        const int result = SSL_read_ex(c.ssl, buffer, sizeof buffer, &got);
        if (result != 1) {
          const int reason = SSL_get_error(c.ssl, result);
          if (reason == SSL_ERROR_WANT_READ) break;
          if (reason == SSL_ERROR_ZERO_RETURN) return fail(i, "read: end of stream");
          return fail(i, "read: " + ssl_failure(reason));
        }
      } else {
        const auto n = ::recv(c.fd, buffer, sizeof buffer, 0);
        if (n < 0 && errno == EAGAIN) break;
        if (n < 0) return fail(i, std::string("read: ") + std::strerror(errno));
        if (n == 0) return fail(i, "read: end of stream");
        got = static_cast<std::size_t>(n);
      }
      if (c.state != State::reading) return fail(i, "read: bytes without a request");
      c.input.append(buffer, got);
      parse(i);
      if (c.state != State::reading) return;
    }
  }

  void parse(std::size_t i) {
    auto& c = connections_[i];
    while (!c.input.empty() && !c.parser->is_done()) {
      boost::system::error_code ec;
      const auto used = c.parser->put(boost::asio::buffer(c.input), ec);
      c.input.erase(0, used);
      if (ec == bhttp::error::need_more) break;
      if (ec) return fail(i, "read: " + ec.message());
    }
    if (!c.parser->is_done()) return;
    auto& reply = c.parser->get();
    const auto now = Clock::now();
    // Latency from the exact schedule; failures count in the warm-up too, replies only in the window.
    if (c.scheduled >= measured_from_ && stats_.record_reply(reply.result_int(), reply.body(), now - c.scheduled) &&
        stats_.result.service_latencies_us.size() < kMaxSamples) {
      stats_.result.service_latencies_us.push_back(micros(now - c.sent));
    }
    const bool keep_alive = reply.keep_alive();
    c.parser.reset();
    if (!keep_alive) return fail(i, "server closed the connection");
    c.state = State::idle;
    if (c.input.empty()) return schedule_next(i);
    fail(i, "read: bytes after the reply");
  }

  // ---- events, deadlines, failures -------------------------------------------------------------------

  void wait_and_drive(Clock::time_point until) {
    const auto wait = std::clamp<Clock::duration>(until - Clock::now(), Clock::duration::zero(), kMaxWait);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(wait).count();
    const timespec timeout{static_cast<time_t>(ns / 1'000'000'000), static_cast<long>(ns % 1'000'000'000)};
    epoll_event events[kEvents];
    const int n = ::epoll_pwait2(epoll_, events, kEvents, &timeout, nullptr);
    for (int k = 0; k < n; ++k) drive(static_cast<std::size_t>(events[k].data.u64));
  }

  void drive(std::size_t i) {
    switch (connections_[i].state) {
      case State::connecting: return finish_connect(i);
      case State::handshaking: return handshake(i);
      case State::writing:
        write(i);
        if (connections_[i].state == State::reading) read(i);
        return;
      case State::reading:
      case State::idle:  // only a close or an error: found by the read
        return read(i);
      default: return;
    }
  }

  void expire_deadlines() {
    const auto now = Clock::now();
    if (now < next_deadline_check_) return;
    next_deadline_check_ = now + kMaxWait;
    for (std::size_t i = 0; i < connections_.size(); ++i) {
      const auto state = connections_[i].state;
      const bool timed = state == State::connecting || state == State::handshaking || state == State::writing ||
                         state == State::reading;
      if (timed && now > connections_[i].deadline) fail(i, "timeout");
    }
  }

  // Counts the failure, closes the connection and every send it still had as an error.
  void fail(std::size_t i, const std::string& failure) {
    auto& c = connections_[i];
    if (c.state == State::failed || c.state == State::done) return;
    if (c.state == State::connecting || c.state == State::handshaking) --connecting_;
    stats_.record_failure(failure);
    c.state = State::failed;
    if (c.fd >= 0) ::epoll_ctl(epoll_, EPOLL_CTL_DEL, c.fd, nullptr);
    if (start_ == Clock::time_point{}) return;  // still connecting: counted when the schedule starts
    --unfinished_;
    count_lost(c);
  }

  void count_lost(Connection& c) {
    if (c.members.empty()) return;
    for (auto t = due(c); t < end_; advance(c), t = due(c)) stats_.record_failure("not sent: connection lost");
  }

  Clock::time_point next_wake() const {
    return sends_.empty() ? Clock::now() + kMaxWait : sends_.top().first;
  }

  static std::string ssl_failure(int reason) {
    const unsigned long queued = ERR_get_error();
    if (queued != 0) {
      char text[256];
      ERR_error_string_n(queued, text, sizeof text);
      return text;
    }
    if (reason == SSL_ERROR_SYSCALL) return errno != 0 ? std::strerror(errno) : "connection closed";
    return "TLS error " + std::to_string(reason);
  }

  using Send = std::pair<Clock::time_point, std::size_t>;
  Shared& shared_;
  int epoll_ = -1;
  std::vector<Connection> connections_;
  std::priority_queue<Send, std::vector<Send>, std::greater<>> sends_;
  int connecting_ = 0;
  std::size_t unfinished_ = 0;  // connections whose schedule is not over
  Clock::time_point start_{};
  Clock::time_point measured_from_{};
  Clock::time_point end_{};
  Clock::time_point next_deadline_check_{};
  Stats stats_;
};

// The machine's own stalls over the measured window, from this (otherwise idle) orchestrating thread.
StallReport measure_stalls(Clock::time_point from, Clock::time_point until) {
  std::this_thread::sleep_until(from);
  StallMeter meter;
  meter.start();
  std::this_thread::sleep_until(until);
  return meter.stop();
}

}  // namespace

RunResult run_open_loop(const Target& target, const OpenLoop& spec) {
  if (spec.phases.size() != spec.members) throw std::invalid_argument("one phase per member is required");
  SslContext tls = target.tls ? make_tls_context(target) : nullptr;
  Shared shared{target, spec, tls.get(), loopback_address(target), target.host + ":" + std::to_string(target.port)};
  const std::size_t connections = spec.connections > 0 ? static_cast<std::size_t>(spec.connections) : spec.members;
  const std::size_t threads = static_cast<std::size_t>(std::max(1, target.threads));
  // Member m uses connection m % connections; connection c runs on thread c % threads.
  std::vector<std::vector<std::vector<std::size_t>>> lists(threads);
  for (std::size_t c = 0; c < connections; ++c) lists[c % threads].emplace_back();
  for (std::size_t m = 0; m < spec.members; ++m) {
    const std::size_t c = m % connections;
    lists[c % threads][c / threads].push_back(m);
  }
  std::vector<std::unique_ptr<ThreadLoop>> loops;
  for (auto& list : lists) loops.push_back(std::make_unique<ThreadLoop>(shared, std::move(list)));
  std::vector<std::thread> running;
  for (auto& loop : loops) running.emplace_back([&loop] { loop->run(); });
  while (shared.threads_ready.load() < threads) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // A short lead so that no send of the first round is already late when the schedule starts.
  const auto start = Clock::now() + std::chrono::milliseconds(200);
  shared.start.store(start.time_since_epoch().count());
  StallReport stalls;
  if (spec.measure_stalls) stalls = measure_stalls(start + spec.warmup, start + spec.warmup + spec.duration);
  for (auto& thread : running) thread.join();
  RunResult total;
  for (auto& loop : loops) merge_into(total, loop->stats().result);
  total.stalls = stalls;
  total.elapsed_s = std::chrono::duration<double>(spec.duration).count();
  return total;
}

}  // namespace balctl::bench
