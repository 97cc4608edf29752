#include "server/http/tls_stream.hpp"

#include <cerrno>
#include <new>

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace balctl::http {

namespace asio = boost::asio;

TlsStream::TlsStream(asio::ip::tcp::socket socket, SSL_CTX* context) : socket_(std::move(socket)) {
  ssl_ = SSL_new(context);
  if (ssl_ == nullptr) throw std::bad_alloc();
  // The socket BIO does not own the descriptor (BIO_NOCLOSE): socket_ closes it, after SSL_free.
  SSL_set_fd(ssl_, socket_.native_handle());
  SSL_set_accept_state(ssl_);
  boost::system::error_code ignored;
  socket_.non_blocking(true, ignored);
}

TlsStream::~TlsStream() {
  SSL_free(ssl_);
}

TlsStream::Step TlsStream::finish(int ssl_result, std::size_t bytes) {
  if (ssl_result > 0) return Step{Step::Kind::done, bytes, {}};
  const int reason = SSL_get_error(ssl_, ssl_result);
  switch (reason) {
    case SSL_ERROR_WANT_READ:
      return Step{Step::Kind::want_read, 0, {}};
    case SSL_ERROR_WANT_WRITE:
      return Step{Step::Kind::want_write, 0, {}};
    // A peer's close_notify, or (SSL_OP_IGNORE_UNEXPECTED_EOF) a plain TCP close: end of stream.
    case SSL_ERROR_ZERO_RETURN:
      return Step{Step::Kind::done, 0, asio::error::eof};
    case SSL_ERROR_SYSCALL: {
      const unsigned long queued = ERR_get_error();
      if (queued != 0)
        return Step{Step::Kind::done, 0,
                    error_code(static_cast<int>(queued), asio::error::get_ssl_category())};
      if (errno == 0) return Step{Step::Kind::done, 0, asio::error::eof};
      return Step{Step::Kind::done, 0, error_code(errno, boost::system::system_category())};
    }
    default: {
      const unsigned long queued = ERR_get_error();
      if (queued == 0) return Step{Step::Kind::done, 0, asio::ssl::error::stream_truncated};
      return Step{Step::Kind::done, 0, error_code(static_cast<int>(queued), asio::error::get_ssl_category())};
    }
  }
}

// OpenSSL's error queue is per thread and must be empty before each call for SSL_get_error to be right.
TlsStream::Step TlsStream::handshake_step() {
  ERR_clear_error();
  errno = 0;
  return finish(SSL_do_handshake(ssl_), 0);
}

TlsStream::Step TlsStream::read_step(asio::mutable_buffer buffer) {
  if (buffer.size() == 0) return Step{};
  ERR_clear_error();
  errno = 0;
  std::size_t bytes = 0;
  const int result = SSL_read_ex(ssl_, buffer.data(), buffer.size(), &bytes);
  return finish(result, bytes);
}

TlsStream::Step TlsStream::write_step(asio::const_buffer buffer) {
  if (buffer.size() == 0) return Step{};
  ERR_clear_error();
  errno = 0;
  std::size_t bytes = 0;
  const int result = SSL_write_ex(ssl_, buffer.data(), buffer.size(), &bytes);
  return finish(result, bytes);
}

bool TlsStream::has_buffered_input() const { return SSL_has_pending(ssl_) == 1; }

void TlsStream::send_close_notify() {
  if (close_notify_sent_ || !SSL_is_init_finished(ssl_)) return;
  close_notify_sent_ = true;
  ERR_clear_error();
  // Non-blocking and best effort: if the socket cannot take the alert now, the connection closes anyway.
  (void)SSL_shutdown(ssl_);
  ERR_clear_error();
}

}  // namespace balctl::http
