// One HTTP connection, following the Boost.Beast advanced server: each do_x is paired with on_x, every
// completion starts by checking its error, and every wait has a deadline.
#include "server/http/session.hpp"

#include <array>
#include <optional>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/read_size.hpp>
#include <boost/beast/http.hpp>
#include <spdlog/spdlog.h>

#include "server/http/api_error.hpp"
#include "server/http/tls_stream.hpp"

namespace balctl::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr auto kCloseGrace = std::chrono::seconds(2);
constexpr std::size_t kMaxDrainBytes = 4 << 20;
constexpr std::size_t kDrainChunk = 16 * 1024;
constexpr std::size_t kReadChunkBytes = 64 * 1024;  // at most this much is read at once, as in Beast
// Bodies up to this size are copied behind the head (one buffer, one TLS record); larger ones are not.
constexpr std::size_t kInlineBodyBytes = 16 * 1024;

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

template <class Stream>
class Session final : public SessionControl, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;
  using Clock = std::chrono::steady_clock;

 public:
  Session(tcp::socket socket, std::shared_ptr<ServerState> state, std::string remote, bool holds_address_slot)
      : stream_(make_stream(std::move(socket), *state)),
        state_(std::move(state)),
        remote_(std::move(remote)),
        holds_address_slot_(holds_address_slot),
        timer_(stream_.get_executor()) {}

  ~Session() override {
    {
      std::lock_guard lock(state_->sessions_mutex);
      state_->sessions.erase(this);
    }
    if (holds_address_slot_) state_->address_slots.release(remote_);
    state_->connections.fetch_sub(1);
  }

  void start() {
    {
      std::lock_guard lock(state_->sessions_mutex);
      state_->sessions.emplace(this, this->weak_from_this());
    }
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

  void close_if_idle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (self->idle_) self->finish();
    });
  }

 private:
  static Stream make_stream(tcp::socket socket, const ServerState& state) {
    if constexpr (kTls) {
      return Stream(std::move(socket), state.tls->native_handle());
    } else {
      return socket;
    }
  }

  tcp::socket& socket() {
    if constexpr (kTls) {
      return stream_.socket();
    } else {
      return stream_;
    }
  }

  void begin() {
    if constexpr (kTls) {
      arm_deadline(header_timeout());  // the handshake and the first head share it
      idle_ = true;
      stream_.async_handshake(beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
    } else {
      do_read();
    }
  }

  void on_handshake(beast::error_code ec, std::size_t) {
    idle_ = false;
    if (ec) return fail(ec, "handshake");
    do_read();
  }

  void do_read() {
    if (state_->shutting_down) return do_close();
    parser_.emplace();
    parser_->body_limit(state_->limits.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(state_->limits.max_header_bytes));
    // The first request's head is due within the header timeout of the accept; after a response the
    // connection may idle for the read timeout, and the head is due within the header timeout of its
    // first byte (follow_request_progress).
    head_started_ = requests_ == 0;
    body_started_ = false;
    if (requests_ > 0) {
      arm_deadline(state_->limits.read_timeout);
    } else if constexpr (!kTls) {
      arm_deadline(header_timeout());  // over TLS, begin() armed it before the handshake
    }
    idle_ = true;
    parse_buffered();
  }

  std::chrono::milliseconds header_timeout() const {
    return std::min(state_->limits.header_timeout, state_->limits.read_timeout);
  }

  // Moves the deadline as a request arrives: its first byte starts the header deadline, a complete head
  // gives the body the read timeout.
  void follow_request_progress() {
    if (!head_started_ && (buffer_.size() > 0 || parser_->got_some())) {
      head_started_ = true;
      arm_deadline(header_timeout());
    }
    if (!body_started_ && parser_->is_header_done()) {
      body_started_ = true;
      arm_deadline(state_->limits.read_timeout);
    }
  }

  // What bhttp::async_read does, without its three layers of composed operations (~2 % of the CPU of a
  // heartbeat): feed the buffered bytes to the parser, read more while it needs more. Limits and
  // malformed input surface as the parser's errors, a close as end_of_stream or partial_message.
  void parse_buffered() {
    follow_request_progress();
    while (buffer_.size() > 0) {
      beast::error_code ec;
      const std::size_t used = parser_->put(buffer_.data(), ec);
      buffer_.consume(used);
      if (ec == bhttp::error::need_more) break;
      if (ec || parser_->is_done()) return on_read(ec, 0);
      if (used == 0) break;
    }
    follow_request_progress();
    stream_.async_read_some(buffer_.prepare(beast::read_size(buffer_, kReadChunkBytes)),
                            beast::bind_front_handler(&Session::on_read_some, this->shared_from_this()));
  }

  void on_read_some(beast::error_code ec, std::size_t bytes) {
    buffer_.commit(bytes);
    if (ec == asio::error::eof) {
      if (!parser_->got_some()) return on_read(bhttp::error::end_of_stream, 0);
      ec = {};
      parser_->put_eof(ec);  // partial_message unless the bytes so far were a whole request
      if (!ec && !parser_->is_done()) ec = bhttp::error::partial_message;
      return on_read(ec, 0);
    }
    if (ec) return on_read(ec, 0);
    parse_buffered();
  }

  void on_read(beast::error_code ec, std::size_t) {
    idle_ = false;
    if (timed_out_) return fail(beast::error::timeout, "read");
    if (ec == bhttp::error::body_limit) {
      return send_error(
          413, "payload_too_large",
          "request body is larger than " + std::to_string(state_->limits.max_body_bytes) + " bytes");
    }
    if (ec == bhttp::error::header_limit)
      return send_error(431, "headers_too_large", "request headers are too large");
    if (ec && ec != bhttp::error::partial_message && ec != bhttp::error::end_of_stream &&
        is_http_parse_error(ec)) {
      return send_error(400, "bad_request", "malformed HTTP request: " + ec.message());
    }
    if (ec) return fail(ec, "read");
    handle_request();
  }

  void handle_request() {
    auto& message = parser_->get();
    Request request;
    request.method = method_of(message.method());
    auto target = split_target(message.target());
    if (!target) return send_error(400, "bad_request", "malformed request target");
    request.path = std::move(target->first);
    request.query = std::move(target->second);
    request.authorization = std::string(message[bhttp::field::authorization]);
    request.content_type = std::string(message[bhttp::field::content_type]);
    const auto& client_address = state_->client_address;
    request.remote_address = client_address.enabled()
                                 ? client_address.effective(remote_, message[client_address.header()])
                                 : remote_;
    request.body = std::move(message.body());
    const bool keep_alive = message.keep_alive() && !state_->shutting_down;
    parser_.reset();
    ++requests_;
    write(state_->router.dispatch(request), keep_alive);
  }

  void send_error(unsigned status, std::string_view code, std::string message) {
    drain_after_write_ = true;
    write(error_response(status, code, message), false);
  }

  // The response is serialised by hand, status line and headers into one string: Beast's serializer
  // (a header map with one allocation per field, then a gather of views over it) was ~3 % of the CPU of
  // a heartbeat. A small body joins the head, so the TLS stream writes one buffer and one record.
  void write(Response response, bool keep_alive) {
    // Over TLS, tell browsers to keep using it (a year, as Mozilla recommends).
    if constexpr (kTls) response.headers.emplace_back("Strict-Transport-Security", "max-age=31536000");
    head_ = response_head(response, keep_alive);
    shared_body_ = std::move(response.shared_body);
    hold_ = std::move(response.hold_until_written);
    body_ = std::move(response.body);
    if (shared_body_) {
      body_ = std::string();
    } else if (body_.size() <= kInlineBodyBytes) {
      head_ += body_;
      body_ = std::string();
    }
    const std::string_view body = shared_body_ ? std::string_view(*shared_body_) : std::string_view(body_);
    const std::array<asio::const_buffer, 2> buffers{asio::buffer(head_),
                                                    asio::buffer(body.data(), body.size())};
    arm_deadline(state_->limits.write_timeout);
    asio::async_write(stream_, buffers,
                      beast::bind_front_handler(&Session::on_write, this->shared_from_this(), keep_alive));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    head_ = std::string();
    body_ = std::string();
    shared_body_.reset();
    hold_.reset();
    if (timed_out_) return fail(beast::error::timeout, "write");
    if (ec) return fail(ec, "write");
    if (drain_after_write_ || !keep_alive) return do_close();
    do_read();
  }

  // Closing politely: close_notify (TLS), half-close our side so the client sees the end of the response at
  // once, then read and discard what it is still sending for a short while, so it gets our response
  // instead of a connection reset.
  void do_close() {
    if (!drain_) {
      drain_ = std::make_unique<std::array<char, kDrainChunk>>();
      if constexpr (kTls) stream_.send_close_notify();
      beast::error_code ignored;
      socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    arm_deadline(kCloseGrace);
    stream_.async_read_some(asio::buffer(*drain_),
                            beast::bind_front_handler(&Session::on_drain, this->shared_from_this()));
  }

  void on_drain(beast::error_code ec, std::size_t bytes) {
    drained_ += bytes;
    if (ec || timed_out_ || drained_ > kMaxDrainBytes) return finish();
    do_close();
  }

  void fail(beast::error_code ec, const char* what) {
    // Timeouts, resets and cancellations are ordinary for a server; log them quietly.
    spdlog::debug("connection_closed remote={} during={} reason=\"{}\"", remote_, what, ec.message());
    if (ec == asio::error::operation_aborted || ec == beast::error::timeout || timed_out_ || drain_)
      return finish();
    do_close();
  }

  // Hard stop: whatever is pending fails at once. The descriptor itself is closed by the destructor,
  // after the TLS session that refers to it.
  void finish() {
    beast::error_code ignored;
    socket().shutdown(tcp::socket::shutdown_both, ignored);
    socket().cancel(ignored);
    deadline_ = Clock::time_point::max();
    timer_.cancel();
  }

  // One timer per connection, re-armed lazily: moving the deadline later (every request on a keep-alive
  // connection) only stores a time; the timer notices when it fires and waits again.
  void arm_deadline(std::chrono::milliseconds after) {
    deadline_ = Clock::now() + after;
    if (timer_armed_ && timer_.expiry() <= deadline_) return;
    start_timer();
  }

  void start_timer() {
    timer_armed_ = true;
    ++timer_generation_;
    timer_.expires_at(deadline_);
    timer_.async_wait([weak = this->weak_from_this(), generation = timer_generation_](beast::error_code ec) {
      if (auto self = weak.lock()) self->on_deadline(ec, generation);
    });
  }

  void on_deadline(beast::error_code ec, unsigned generation) {
    if (generation != timer_generation_) return;  // replaced by an earlier deadline
    timer_armed_ = false;
    if (ec || deadline_ == Clock::time_point::max()) return;
    if (Clock::now() < deadline_) return start_timer();
    timed_out_ = true;
    finish();
  }

  Stream stream_;
  std::shared_ptr<ServerState> state_;
  std::string remote_;
  const bool holds_address_slot_;
  asio::steady_timer timer_;
  std::size_t requests_ = 0;  // handled on this connection
  bool head_started_ = false;
  bool body_started_ = false;
  Clock::time_point deadline_ = Clock::time_point::max();
  unsigned timer_generation_ = 0;
  bool timer_armed_ = false;
  bool timed_out_ = false;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::string head_;  // status line, headers and (when small) the body of the response being written
  std::string body_;  // a large body, written after head_ without a copy
  std::shared_ptr<const std::string> shared_body_;        // or one shared with other connections
  std::shared_ptr<const void> hold_;                      // released when the response is written
  std::unique_ptr<std::array<char, kDrainChunk>> drain_;  // only allocated when closing
  std::size_t drained_ = 0;
  bool idle_ = false;
  bool drain_after_write_ = false;
};

}  // namespace

void start_session(tcp::socket socket, const std::shared_ptr<ServerState>& state, std::string remote,
                   bool holds_address_slot) {
  beast::error_code ec;
  socket.set_option(tcp::no_delay(true), ec);
  if (state->tls) {
    std::make_shared<Session<TlsStream>>(std::move(socket), state, std::move(remote), holds_address_slot)
        ->start();
  } else {
    std::make_shared<Session<tcp::socket>>(std::move(socket), state, std::move(remote), holds_address_slot)
        ->start();
  }
}

}  // namespace balctl::http
