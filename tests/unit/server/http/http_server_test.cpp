// The listener with two I/O threads through a whole life: serve N connections, shut down, destroy. With an
// odd N the accept left pending belongs to the worker's io_context; stop_threads must cancel and complete
// it while that context exists (issue 13 item 8: a use-after-free that ASan builds report here).
#include "server/http/http_server.hpp"

#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

#include "server/http/router.hpp"

namespace balctl::http {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string get_healthz(unsigned short port) {
  asio::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  const std::string request = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  asio::write(socket, asio::buffer(request));
  std::string reply;
  boost::system::error_code ec;
  asio::read(socket, asio::dynamic_buffer(reply), ec);  // until the server closes
  return reply;
}

class HttpServerLifecycle : public ::testing::TestWithParam<int> {};

TEST_P(HttpServerLifecycle, ServesThenShutsDownCleanly) {
  Router router;
  router.add(Method::get, "/healthz",
             [](const Request&, const PathParams&) { return json_response(200, R"({"status":"ok"})"); });
  asio::io_context io(1);
  auto server = std::make_unique<HttpServer>(io, router, nullptr, ServerLimits{}, 2);
  ASSERT_TRUE(server->listen("127.0.0.1", 0).ok());
  server->start_threads();

  std::atomic<int> served{0};
  std::thread client([&, port = server->port()] {
    for (int i = 0; i < GetParam(); ++i) {
      if (get_healthz(port).rfind("HTTP/1.1 200", 0) == 0) ++served;
    }
    served += 1000;  // done
  });
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (served < 1000 && std::chrono::steady_clock::now() < deadline)
    io.run_for(std::chrono::milliseconds(10));
  client.join();
  EXPECT_EQ(served - 1000, GetParam());

  server->begin_shutdown();
  while (server->open_connections() > 0 && std::chrono::steady_clock::now() < deadline)
    io.run_for(std::chrono::milliseconds(10));
  EXPECT_EQ(server->open_connections(), 0u);
  io.stop();
  server->stop_threads();
  server.reset();  // the worker contexts go before `io`, as in `balctl serve`
}

INSTANTIATE_TEST_SUITE_P(Connections, HttpServerLifecycle, ::testing::Values(1, 2, 3));

}  // namespace
}  // namespace balctl::http
