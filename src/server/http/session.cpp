// One HTTP connection, following the Boost.Beast advanced server: each do_x is paired with on_x, every
// completion starts by checking its error, and every wait has a deadline.
#include "server/http/session.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <optional>

#include "common/validate.hpp"
#include "server/http/api_error.hpp"

namespace balctl::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = asio::ip::tcp;

constexpr auto kCloseGrace = std::chrono::seconds(2);
constexpr std::size_t kMaxDrainBytes = 4 << 20;
constexpr std::size_t kDrainChunk = 16 * 1024;

Method method_of(bhttp::verb verb) {
  switch (verb) {
    case bhttp::verb::get: return Method::get;
    case bhttp::verb::post: return Method::post;
    case bhttp::verb::put: return Method::put;
    case bhttp::verb::patch: return Method::patch;
    case bhttp::verb::delete_: return Method::del;
    default: return Method::other;
  }
}

bool is_http_parse_error(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::bad_method).category();
}

template <class Stream>
class Session final : public SessionControl, public std::enable_shared_from_this<Session<Stream>> {
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

 public:
  Session(Stream stream, std::shared_ptr<ServerState> state, std::string remote)
      : stream_(std::move(stream)), state_(std::move(state)), remote_(std::move(remote)) {}

  ~Session() override {
    {
      std::lock_guard lock(state_->sessions_mutex);
      state_->sessions.erase(this);
    }
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
      if (self->idle_) beast::get_lowest_layer(self->stream_).socket().cancel();
    });
  }

 private:
  beast::tcp_stream& lowest() { return beast::get_lowest_layer(stream_); }

  void begin() {
    if constexpr (kTls) {
      lowest().expires_after(state_->limits.read_timeout);
      idle_ = true;
      stream_.async_handshake(asio::ssl::stream_base::server,
                              beast::bind_front_handler(&Session::on_handshake, this->shared_from_this()));
    } else {
      do_read();
    }
  }

  void on_handshake(beast::error_code ec) {
    idle_ = false;
    if (ec) return fail(ec, "handshake");
    do_read();
  }

  void do_read() {
    if (state_->shutting_down) return do_close();
    parser_.emplace();
    parser_->body_limit(state_->limits.max_body_bytes);
    parser_->header_limit(static_cast<std::uint32_t>(state_->limits.max_header_bytes));
    lowest().expires_after(state_->limits.read_timeout);
    idle_ = true;
    bhttp::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, this->shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    idle_ = false;
    if (ec == bhttp::error::body_limit) {
      return send_error(413, "payload_too_large",
                        "request body is larger than " + std::to_string(state_->limits.max_body_bytes) + " bytes");
    }
    if (ec == bhttp::error::header_limit) return send_error(431, "headers_too_large", "request headers are too large");
    if (ec && ec != bhttp::error::partial_message && ec != bhttp::error::end_of_stream && is_http_parse_error(ec)) {
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
    request.remote_address = remote_;
    request.body = std::move(message.body());
    const bool keep_alive = message.keep_alive() && !state_->shutting_down;
    parser_.reset();
    write(state_->router.dispatch(request), keep_alive);
  }

  void send_error(unsigned status, std::string_view code, std::string message) {
    drain_after_write_ = true;
    write(error_response(status, code, message), false);
  }

  void write(Response response, bool keep_alive) {
    auto& out = response_.emplace();
    out.result(response.status);
    out.version(11);
    out.set(bhttp::field::server, "balctl");
    out.set(bhttp::field::content_type, response.content_type);
    for (const auto& [name, value] : response.headers) out.set(name, value);
    out.keep_alive(keep_alive);
    out.body() = std::move(response.body);
    out.prepare_payload();
    lowest().expires_after(state_->limits.write_timeout);
    bhttp::async_write(stream_, out,
                       beast::bind_front_handler(&Session::on_write, this->shared_from_this(), keep_alive));
  }

  void on_write(bool keep_alive, beast::error_code ec, std::size_t) {
    response_.reset();
    if (ec) return fail(ec, "write");
    if (drain_after_write_) return do_drain();
    if (!keep_alive) return do_close();
    do_read();
  }

  // After an error response mid-request: half-close our side so the client sees the end of the response
  // at once, then read and discard what it is still sending for a short while, so it gets our response
  // instead of a connection reset.
  void do_drain() {
    if (!drain_) {
      drain_ = std::make_unique<std::array<char, kDrainChunk>>();
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
    lowest().expires_after(kCloseGrace);
    stream_.async_read_some(asio::buffer(*drain_),
                            beast::bind_front_handler(&Session::on_drain, this->shared_from_this()));
  }

  void on_drain(beast::error_code ec, std::size_t bytes) {
    drained_ += bytes;
    if (ec || drained_ > kMaxDrainBytes) return lowest().close();
    do_drain();
  }

  void do_close() {
    if constexpr (kTls) {
      lowest().expires_after(kCloseGrace);
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) { self->lowest().close(); });
    } else {
      beast::error_code ignored;
      lowest().socket().shutdown(tcp::socket::shutdown_send, ignored);
    }
  }

  void fail(beast::error_code ec, const char* what) {
    // Timeouts, resets and cancellations are ordinary for a server; log them quietly.
    spdlog::debug("connection_closed remote={} during={} reason=\"{}\"", remote_, what, ec.message());
    if (ec == asio::error::operation_aborted || ec == beast::error::timeout) {
      lowest().close();
      return;
    }
    do_close();
  }

  Stream stream_;
  std::shared_ptr<ServerState> state_;
  std::string remote_;
  beast::flat_buffer buffer_;
  std::optional<bhttp::request_parser<bhttp::string_body>> parser_;
  std::optional<bhttp::response<bhttp::string_body>> response_;
  std::unique_ptr<std::array<char, kDrainChunk>> drain_;  // only allocated when draining
  std::size_t drained_ = 0;
  bool idle_ = false;
  bool drain_after_write_ = false;
};

}  // namespace

void start_session(tcp::socket socket, const std::shared_ptr<ServerState>& state) {
  beast::error_code ec;
  const auto endpoint = socket.remote_endpoint(ec);
  if (ec) {
    state->connections.fetch_sub(1);
    return;
  }
  const std::string raw_address = endpoint.address().to_string();
  std::string remote = validate::ip_address(raw_address).value_or(raw_address);
  socket.set_option(tcp::no_delay(true), ec);
  if (state->tls) {
    using TlsStream = beast::ssl_stream<beast::tcp_stream>;
    std::make_shared<Session<TlsStream>>(TlsStream(beast::tcp_stream(std::move(socket)), *state->tls), state,
                                         std::move(remote))
        ->start();
  } else {
    std::make_shared<Session<beast::tcp_stream>>(beast::tcp_stream(std::move(socket)), state, std::move(remote))
        ->start();
  }
}

}  // namespace balctl::http
