// A lean server-side TLS stream: OpenSSL reads and writes the non-blocking socket itself (SSL_set_fd) and
// Asio only tells us when the socket is ready. Why not asio::ssl::stream: it keeps two 17 KB staging
// buffers per connection plus a 2 x 17 KB BIO pair, about 70 KB per idle keep-alive connection; with one
// connection per agent that dominated the control plane's memory. Here an idle connection costs the SSL
// session state only (OpenSSL's own buffers are released when empty, SSL_MODE_RELEASE_BUFFERS).
//
// Models Beast's AsyncReadStream / AsyncWriteStream, so beast::http::async_read/async_write work on it.
// Requires SIGPIPE to be ignored (OpenSSL writes with write(2)). Not thread-safe: one strand or one
// single-threaded io_context per stream, like any Asio socket.
#pragma once

#include <cstddef>
#include <string>
#include <type_traits>

#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>

using SSL = struct ssl_st;
using SSL_CTX = struct ssl_ctx_st;

namespace balctl::http {

class TlsStream {
 public:
  using executor_type = boost::asio::ip::tcp::socket::executor_type;
  using error_code = boost::system::error_code;

  // Result of one non-blocking OpenSSL call: finished (bytes or error), or must wait for the socket.
  struct Step {
    enum class Kind { done, want_read, want_write } kind = Kind::done;
    std::size_t bytes = 0;
    error_code ec;
  };

  // Throws std::bad_alloc when OpenSSL cannot allocate the session (start-up class failure).
  TlsStream(boost::asio::ip::tcp::socket socket, SSL_CTX* context);
  ~TlsStream();
  TlsStream(const TlsStream&) = delete;
  TlsStream& operator=(const TlsStream&) = delete;

  executor_type get_executor() { return socket_.get_executor(); }
  boost::asio::ip::tcp::socket& socket() { return socket_; }

  Step handshake_step();
  Step read_step(boost::asio::mutable_buffer buffer);
  Step write_step(boost::asio::const_buffer buffer);
  // Sends close_notify once; does not wait for the peer's.
  void send_close_notify();
  // Whether OpenSSL holds received bytes (a record or decrypted data) not yet returned by a read.
  bool has_buffered_input() const;

  template <class Handler>
  auto async_handshake(Handler&& handler) {
    return run([this] { return handshake_step(); }, std::forward<Handler>(handler));
  }

  template <class MutableBuffers, class Handler>
  auto async_read_some(const MutableBuffers& buffers, Handler&& handler) {
    const boost::asio::mutable_buffer first = first_buffer(buffers);
    // With nothing decrypted or buffered in OpenSSL, a read(2) now would almost always find the socket
    // empty (the peer is waiting for our reply): wait for readiness first and save that system call.
    // Asio re-arms the descriptor for each wait, so data that is already there is reported at once.
    const bool wait_first = !has_buffered_input();
    return run([this, first] { return read_step(first); }, std::forward<Handler>(handler), wait_first);
  }

  template <class ConstBuffers, class Handler>
  auto async_write_some(const ConstBuffers& buffers, Handler&& handler) {
    // One TLS record for a response's header and body instead of one each: copy small gathers.
    const std::size_t total = boost::asio::buffer_size(buffers);
    boost::asio::const_buffer first = first_buffer(buffers);
    if (first.size() < total && total <= kCoalesceLimit) {
      std::string gathered(total, '\0');
      boost::asio::buffer_copy(boost::asio::buffer(gathered), buffers);
      return run([this, gathered = std::move(gathered)] { return write_step(boost::asio::buffer(gathered)); },
                 std::forward<Handler>(handler));
    }
    return run([this, first] { return write_step(first); }, std::forward<Handler>(handler));
  }

 private:
  static constexpr std::size_t kCoalesceLimit = 16 * 1024;

  template <class Buffers>
  static auto first_buffer(const Buffers& buffers) {
    for (auto it = boost::asio::buffer_sequence_begin(buffers);
         it != boost::asio::buffer_sequence_end(buffers); ++it) {
      const auto buffer = *it;  // Beast's buffer iterators have no operator->
      if (buffer.size() > 0) return buffer;
    }
    return std::decay_t<decltype(*boost::asio::buffer_sequence_begin(buffers))>{};
  }

  // Repeats `step` until it finishes, waiting for socket readiness in between. A step that finishes
  // at once is completed through a post, because Asio handlers must not run inside the initiating call.
  template <class StepFn>
  struct Operation {
    TlsStream& stream;
    StepFn step;
    bool wait_first = false;
    enum class State { starting, waiting, posted } state = State::starting;
    Step result{};

    template <class Self>
    void operator()(Self& self, error_code wait_error = {}) {
      if (state == State::posted) return self.complete(result.ec, result.bytes);
      if (wait_error) return self.complete(wait_error, 0);
      if (state == State::starting && wait_first) {
        state = State::waiting;
        return stream.socket_.async_wait(boost::asio::socket_base::wait_read, std::move(self));
      }
      result = step();
      if (result.kind == Step::Kind::done) {
        if (state == State::waiting) return self.complete(result.ec, result.bytes);
        state = State::posted;
        return boost::asio::post(stream.get_executor(), std::move(self));
      }
      state = State::waiting;
      stream.socket_.async_wait(result.kind == Step::Kind::want_read ? boost::asio::socket_base::wait_read
                                                                     : boost::asio::socket_base::wait_write,
                                std::move(self));
    }
  };

  template <class StepFn, class Handler>
  auto run(StepFn step, Handler&& handler, bool wait_first = false) {
    return boost::asio::async_compose<Handler, void(error_code, std::size_t)>(
        Operation<StepFn>{*this, std::move(step), wait_first}, handler, socket_);
  }

  Step finish(int ssl_result, std::size_t bytes);

  boost::asio::ip::tcp::socket socket_;
  SSL* ssl_ = nullptr;
  bool close_notify_sent_ = false;
};

}  // namespace balctl::http
