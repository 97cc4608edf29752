// The lean server TLS stream against a real OpenSSL client (asio::ssl::stream) over loopback TCP: handshake,
// reads that span records, a gathered write, end of stream with and without close_notify, cancellation.
#include "server/http/tls_stream.hpp"

#include <array>
#include <csignal>
#include <optional>
#include <string>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "server/http/tls.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using boost::system::error_code;

class TlsStreamTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::signal(SIGPIPE, SIG_IGN);  // as `balctl serve` does
    const auto cert = dir_.path() / "tls.crt";
    const auto key = dir_.path() / "tls.key";
    ASSERT_TRUE(ensure_self_signed(cert, key, {}).ok());
    auto context = make_server_context(cert, key);
    ASSERT_TRUE(context.ok());
    server_context_ = *context;
    client_context_.load_verify_file(cert.string());
    client_context_.set_verify_mode(asio::ssl::verify_peer);

    tcp::acceptor acceptor(io_, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
    client_.next_layer().connect(acceptor.local_endpoint());
    server_.emplace(acceptor.accept(), server_context_->native_handle());
  }

  // Runs the io_context until `done` or a 5 s bound, so a broken stream fails the test instead of hanging.
  void run_until(const bool& done) {
    io_.restart();
    for (int i = 0; i < 5000 && !done; ++i)
      io_.run_for(std::chrono::milliseconds(1));
    ASSERT_TRUE(done) << "operation did not complete";
  }

  void handshake() {
    bool server_done = false;
    bool client_done = false;
    error_code server_ec;
    error_code client_ec;
    server_->async_handshake([&](error_code ec, std::size_t) {
      server_ec = ec;
      server_done = true;
    });
    client_.async_handshake(asio::ssl::stream_base::client, [&](error_code ec) {
      client_ec = ec;
      client_done = true;
    });
    run_until(server_done);
    run_until(client_done);
    ASSERT_FALSE(server_ec) << server_ec.message();
    ASSERT_FALSE(client_ec) << client_ec.message();
  }

  std::string server_read(std::size_t max, error_code& error) {
    std::array<char, 64 * 1024> buffer{};
    std::size_t got = 0;
    bool done = false;
    server_->async_read_some(asio::buffer(buffer.data(), max), [&](error_code ec, std::size_t bytes) {
      error = ec;
      got = bytes;
      done = true;
    });
    run_until(done);
    return std::string(buffer.data(), got);
  }

  testing::TempDir dir_;
  asio::io_context io_{1};
  std::shared_ptr<asio::ssl::context> server_context_;
  asio::ssl::context client_context_{asio::ssl::context::tls_client};
  asio::ssl::stream<tcp::socket> client_{io_, client_context_};
  std::optional<TlsStream> server_;
};

TEST_F(TlsStreamTest, ExchangesDataBothWays) {
  handshake();
  asio::write(client_, asio::buffer(std::string("hello, control plane")));
  error_code ec;
  EXPECT_EQ(server_read(1024, ec), "hello, control plane");
  EXPECT_FALSE(ec);

  // A gathered write (HTTP header + body) arrives whole.
  const std::string head = "HTTP/1.1 200 OK\r\n\r\n";
  const std::string body = R"({"interval_ms":1000})";
  const std::array<asio::const_buffer, 2> parts{asio::buffer(head), asio::buffer(body)};
  bool written = false;
  std::size_t wrote = 0;
  server_->async_write_some(parts, [&](error_code write_ec, std::size_t bytes) {
    ec = write_ec;
    wrote = bytes;
    written = true;
  });
  run_until(written);
  EXPECT_FALSE(ec);
  EXPECT_EQ(wrote, head.size() + body.size());
  std::string received(head.size() + body.size(), '\0');
  asio::read(client_, asio::buffer(received));
  EXPECT_EQ(received, head + body);
}

TEST_F(TlsStreamTest, ReadsLargerThanTheBufferComeInPieces) {
  handshake();
  const std::string big(40'000, 'x');  // more than two TLS records
  asio::write(client_, asio::buffer(big));
  std::string collected;
  error_code ec;
  while (collected.size() < big.size() && !ec)
    collected += server_read(1000, ec);
  EXPECT_FALSE(ec);
  EXPECT_EQ(collected, big);
}

TEST_F(TlsStreamTest, CloseNotifyIsEndOfStream) {
  handshake();
  // Sends close_notify, then waits for ours, which never comes; the test does not need it to finish.
  client_.async_shutdown([](error_code) {});
  error_code ec;
  server_read(1024, ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(TlsStreamTest, TcpFinWithoutCloseNotifyIsEndOfStream) {
  handshake();
  client_.next_layer().shutdown(tcp::socket::shutdown_send);
  error_code ec;
  server_read(1024, ec);
  EXPECT_EQ(ec, asio::error::eof);
}

TEST_F(TlsStreamTest, GarbageInsteadOfAHandshakeIsAnError) {
  asio::write(client_.next_layer(), asio::buffer(std::string("GET / HTTP/1.1\r\nHost: x\r\n\r\n")));
  bool done = false;
  error_code ec;
  server_->async_handshake([&](error_code handshake_ec, std::size_t) {
    ec = handshake_ec;
    done = true;
  });
  run_until(done);
  EXPECT_TRUE(ec);
  EXPECT_NE(ec, asio::error::operation_aborted);
}

TEST_F(TlsStreamTest, CancelEndsAPendingRead) {
  handshake();
  bool done = false;
  error_code ec;
  std::array<char, 16> buffer{};
  server_->async_read_some(asio::buffer(buffer), [&](error_code read_ec, std::size_t) {
    ec = read_ec;
    done = true;
  });
  io_.restart();
  io_.poll();
  EXPECT_FALSE(done);  // nothing was sent: it waits for the socket
  server_->socket().cancel();
  run_until(done);
  EXPECT_EQ(ec, asio::error::operation_aborted);
}

}  // namespace
}  // namespace balctl::http
