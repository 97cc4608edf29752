#include <gtest/gtest.h>
#include <sys/stat.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "agent/agent_env.hpp"
#include "agent/backoff.hpp"
#include "agent/client/reachability.hpp"
#include "common/files.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl::agent {
namespace {

const std::string kValid =
    "# comment\n"
    "BALCTL_API_BASE=https://cp.example.com:8443/\n"
    "BALCTL_MEMBER_ID=7\n"
    "BALCTL_MEMBER_SECRET=\"bms.7.abcdef\"\n"
    "  BALCTL_SERVER_KEY = OvWQImJZ4e7UAlEKM0VgS6NHuYy34YI1oCmRZqlZx/I=\n"
    "BALCTL_BIND_ADDRESS=::ffff:127.0.0.2\n"
    "PATH=/usr/bin\n";

TEST(AgentEnv, ParsesKeysWithDefaults) {
  const auto config = parse_agent_env(kValid);
  ASSERT_TRUE(config.ok()) << config.error().message;
  EXPECT_EQ(config->api_base, "https://cp.example.com:8443");
  EXPECT_EQ(config->member_id, 7);
  EXPECT_EQ(config->member_secret, "bms.7.abcdef");
  EXPECT_EQ(config->bind_address, "127.0.0.2");
  EXPECT_EQ(config->haproxy_socket, "/run/haproxy/admin.sock");
  EXPECT_EQ(config->haproxy_unit, "haproxy.service");
  EXPECT_TRUE(config->haproxy_pidfile.empty());
}

TEST(AgentEnv, ErrorsNameTheKey) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"BALCTL_MEMBER_ID=7\nBALCTL_MEMBER_SECRET=bms.7.x\n", "BALCTL_API_BASE"},
      {kValid + "BALCTL_HAPROXY_SOCKT=/x\n", "BALCTL_HAPROXY_SOCKT"},
      {kValid + "BALCTL_MEMBER_ID=0\n", "BALCTL_MEMBER_ID"},
      {kValid + "BALCTL_MEMBER_ID=8\n", "BALCTL_MEMBER_SECRET"},  // secret belongs to member 7
      {kValid + "BALCTL_MEMBER_SECRET=hunter2\n", "BALCTL_MEMBER_SECRET"},
      {kValid + "BALCTL_API_BASE=ftp://x\n", "BALCTL_API_BASE"},
      {kValid + "BALCTL_HAPROXY_SOCKET=relative.sock\n", "BALCTL_HAPROXY_SOCKET"},
      {kValid + "BALCTL_HAPROXY_UNIT=haproxy\n", "BALCTL_HAPROXY_UNIT"},
      {kValid + "BALCTL_BIND_ADDRESS=eth0\n", "BALCTL_BIND_ADDRESS"},
      {kValid + "BALCTL_SERVER_KEY=short\n", "BALCTL_SERVER_KEY"},
      {kValid + "not a key value line\n", ""},
  };
  for (const auto& [text, key] : cases) {
    const auto config = parse_agent_env(text);
    ASSERT_FALSE(config.ok()) << text;
    EXPECT_EQ(config.error().field, key) << config.error().message;
    if (!key.empty()) {
      EXPECT_NE(config.error().message.find(key), std::string::npos);
    }
  }
}

TEST(AgentEnv, RenderParsesBack) {
  AgentConfig config = *parse_agent_env(kValid);
  config.haproxy_pidfile = "/run/haproxy.pid";
  const auto again = parse_agent_env(render_agent_env(config));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->member_secret, config.member_secret);
  EXPECT_EQ(again->haproxy_pidfile, "/run/haproxy.pid");
  EXPECT_EQ(again->server_key, config.server_key);
}

TEST(AgentEnv, SaveIsPrivateAndLoadRefusesReadableFiles) {
  testing::TempDir dir;
  const auto config_dir = dir.path() / "etc";
  EXPECT_EQ(load_agent_env(config_dir).error().code, "not_enrolled");
  ASSERT_TRUE(save_agent_env(config_dir, *parse_agent_env(kValid)).ok());
  struct stat info {};
  ::stat((config_dir / "agent.env").c_str(), &info);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  ::stat(config_dir.c_str(), &info);
  EXPECT_EQ(info.st_mode & 0777, 0700u);
  EXPECT_TRUE(load_agent_env(config_dir).ok());
  ::chmod((config_dir / "agent.env").c_str(), 0644);
  const auto readable = load_agent_env(config_dir);
  ASSERT_FALSE(readable.ok());
  EXPECT_NE(readable.error().message.find("chmod 600"), std::string::npos);
}

TEST(AgentEnv, LoadChecksTheCaFileExists) {
  testing::TempDir dir;
  ASSERT_TRUE(files::write_atomic(dir.path() / "agent.env", kValid + "BALCTL_CA_CERT=/nonexistent/ca.pem\n", 0600).ok());
  EXPECT_EQ(load_agent_env(dir.path()).error().field, "BALCTL_CA_CERT");
}

// agent.env is written from the control plane's enrol reply: a value with a line break would add keys.
TEST(AgentEnv, SaveRefusesValuesThatAreNotOneCleanLineAndWritesNothing) {
  const AgentConfig good = *parse_agent_env(kValid);
  const std::vector<std::pair<std::function<void(AgentConfig&)>, std::string>> cases = {
      {[](AgentConfig& c) { c.member_secret = "bms.7.abc\nBALCTL_API_BASE=https://evil.example"; },
       "BALCTL_MEMBER_SECRET"},
      {[](AgentConfig& c) { c.member_secret = "bms.7.abc\r"; }, "BALCTL_MEMBER_SECRET"},
      {[](AgentConfig& c) { c.member_secret = "bms.8.abc"; }, "BALCTL_MEMBER_SECRET"},
      {[](AgentConfig& c) { c.api_base = "https://cp.example.com\nBALCTL_MEMBER_ID=1"; }, "BALCTL_API_BASE"},
      {[](AgentConfig& c) { c.api_base = "https://user@cp.example.com"; }, "BALCTL_API_BASE"},
      {[](AgentConfig& c) { c.api_base = "https://cp.example.com/?x=1"; }, "BALCTL_API_BASE"},
      {[](AgentConfig& c) { c.api_base = "https://"; }, "BALCTL_API_BASE"},
      {[](AgentConfig& c) { c.server_key += "\n"; }, "BALCTL_SERVER_KEY"},
      {[](AgentConfig& c) { c.ca_cert = std::string("/etc/balctl/ca.pem\0x", 20); }, "BALCTL_CA_CERT"},
      {[](AgentConfig& c) { c.ca_cert = "/" + std::string(5000, 'a'); }, "BALCTL_CA_CERT"},
      {[](AgentConfig& c) { c.haproxy_unit = "haproxy.service\x1b[2J"; }, "BALCTL_HAPROXY_UNIT"},
      {[](AgentConfig& c) { c.haproxy_socket = "/run/haproxy.sock\tx"; }, "BALCTL_HAPROXY_SOCKET"},
      {[](AgentConfig& c) { c.bind_address = "127.0.0.1\n"; }, "BALCTL_BIND_ADDRESS"},
  };
  testing::TempDir dir;
  ASSERT_TRUE(save_agent_env(dir.path(), good).ok());
  const auto before = files::read(dir.path() / "agent.env", 64 * 1024);
  ASSERT_TRUE(before.ok());
  for (const auto& [mutate, key] : cases) {
    AgentConfig config = good;
    mutate(config);
    const auto checked = check_agent_config(config);
    ASSERT_FALSE(checked.ok()) << key;
    EXPECT_EQ(checked.error().field, key) << checked.error().message;
    EXPECT_NE(checked.error().message.find(key), std::string::npos) << checked.error().message;
    const auto saved = save_agent_env(dir.path(), config);
    ASSERT_FALSE(saved.ok()) << key;
    EXPECT_EQ(*files::read(dir.path() / "agent.env", 64 * 1024), *before) << key << ": file was changed";
  }
}

TEST(AgentEnv, ParseRefusesControlCharactersInValues) {
  const auto config = parse_agent_env(kValid + "BALCTL_HAPROXY_SOCKET=/run/a\x01.sock\n");
  ASSERT_FALSE(config.ok());
  EXPECT_EQ(config.error().field, "BALCTL_HAPROXY_SOCKET");
  EXPECT_NE(config.error().message.find("control character"), std::string::npos) << config.error().message;
}

TEST(AgentEnv, ApiBaseMustParseAsAUrl) {
  EXPECT_FALSE(api_base_problem("https://cp.example.com:8443"));
  EXPECT_FALSE(api_base_problem("http://127.0.0.1:8080/prefix"));
  EXPECT_FALSE(api_base_problem("https://[::1]:8443"));
  for (const char* bad : {"https://cp.example.com:8443#x", "https://a b", "https://cp:port", "https://cp:",
                          "https://cp:99999", "https://cp:0", "https:///path",
                          "https://cp.example.com\r", "cp.example.com"}) {
    EXPECT_TRUE(api_base_problem(bad)) << bad;
  }
}

TEST(Backoff, GrowsWithJitterUpToTheCap) {
  Backoff backoff(std::chrono::milliseconds(1000), std::chrono::milliseconds(30'000));
  EXPECT_EQ(backoff.next(0.999999).count(), 999);  // [50 %, 100 %] of 1 s
  EXPECT_EQ(backoff.next(0.0).count(), 1000);      // 50 % of 2 s
  EXPECT_EQ(backoff.next(0.5).count(), 3000);      // 75 % of 4 s
  for (int i = 0; i < 20; ++i) backoff.next(0.5);
  EXPECT_EQ(backoff.next(1.0).count(), 30'000);
  EXPECT_EQ(backoff.next(0.0).count(), 15'000);
  EXPECT_GT(backoff.failures(), 20);
  backoff.reset();
  EXPECT_EQ(backoff.failures(), 0);
  EXPECT_LE(backoff.next(0.5).count(), 1000);
}

TEST(Reachability, SplitsUrls) {
  std::string host;
  std::string port;
  ASSERT_TRUE(split_host_port("https://cp.example.com:8443/x", host, port));
  EXPECT_EQ(host, "cp.example.com");
  EXPECT_EQ(port, "8443");
  ASSERT_TRUE(split_host_port("https://[::1]/", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, "443");
  ASSERT_TRUE(split_host_port("http://10.0.0.1", host, port));
  EXPECT_EQ(port, "80");
  EXPECT_FALSE(split_host_port("not a url", host, port));
}

TEST(Reachability, ClosedPortIsUnreachable) {
  EXPECT_FALSE(tcp_reachable("https://127.0.0.1:1", "", std::chrono::milliseconds(500)));
}

}  // namespace
}  // namespace balctl::agent
