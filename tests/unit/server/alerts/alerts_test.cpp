#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "common/json.hpp"
#include "server/alerts/alert_channel.hpp"
#include "server/alerts/alert_dispatcher.hpp"
#include "server/alerts/senders.hpp"

namespace balctl::alerts {
namespace {

using namespace std::chrono_literals;

boost::json::object object(std::string_view text) { return *json::parse_object(text); }

AlertChannel webhook(const std::string& name) { return {name, WebhookChannel{"http://127.0.0.1:9/x", "json", ""}}; }

store::EventRecord event(const std::string& kind, const std::string& member = "lb1") {
  return {0, 1'700'000'000'000, kind, "web", member, "system", "something happened"};
}

// Records deliveries; fails the first `failures` of them.
struct FakeSender {
  std::atomic<int> calls{0};
  std::atomic<int> failures{0};
  std::mutex mutex;
  std::vector<Alert> delivered;
  Status operator()(const AlertChannel&, const Alert& alert) {
    ++calls;
    if (failures.load() > 0) {
      --failures;
      return Error{Errc::unavailable, "alert_refused", "HTTP 500", {}};
    }
    std::lock_guard lock(mutex);
    delivered.push_back(alert);
    return {};
  }
  std::size_t count() {
    std::lock_guard lock(mutex);
    return delivered.size();
  }
};

bool wait_for(const std::function<bool()>& condition) {
  for (int i = 0; i < 200 && !condition(); ++i) std::this_thread::sleep_for(10ms);
  return condition();
}

TEST(AlertChannel, ParsesMasksAndRoundTrips) {
  const auto channel = parse_alert_channel(
      object(R"({"name":"mail","kind":"email","smtp_url":"smtp://mail.example.com:587","from":"a@example.com",
                 "to":["b@example.com","c@example.com"],"username":"u","password":"p"})"));
  ASSERT_TRUE(channel.ok()) << channel.error().message;
  const auto& email = std::get<EmailChannel>(channel->target);
  EXPECT_TRUE(email.starttls);
  EXPECT_EQ(email.to.size(), 2u);
  EXPECT_EQ(masked_channel_json(*channel).at("password"), "***");
  const auto back = join_channel("mail", "email", channel_settings(*channel), channel_secrets(*channel));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(std::get<EmailChannel>(back->target).password, "p");
  EXPECT_EQ(parse_alert_channel(object(R"({"name":"x","kind":"webhook","url":"https://h.example.com/a"})"))->name, "x");
}

TEST(AlertChannel, ErrorsNameTheField) {
  EXPECT_EQ(parse_alert_channel(object(R"({"name":"x","kind":"sms"})")).error().field, "kind");
  EXPECT_EQ(parse_alert_channel(object(R"({"name":"x","kind":"webhook","url":"nope"})")).error().field, "url");
  EXPECT_EQ(parse_alert_channel(
                object(R"({"name":"x","kind":"email","smtp_url":"smtp://m","from":"a@b.c","to":["x@y.z"],"starttls":"yes"})"))
                .error()
                .field,
            "starttls");
}

TEST(Webhook, SignatureMatchesHmacSha256) {
  // Reference: python3 -c 'import hmac,hashlib;print(hmac.new(b"secret",b"1700000000.{}",hashlib.sha256).hexdigest())'
  EXPECT_EQ(webhook_signature("secret", 1'700'000'000, "{}"),
            "sha256=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163");
  EXPECT_NE(webhook_signature("secret", 1, "{}"), webhook_signature("secret", 2, "{}"));
  EXPECT_NE(webhook_signature("a", 1, "{}"), webhook_signature("b", 1, "{}"));
}

TEST(Webhook, JsonAndSlackBodies) {
  Alert alert{"failover", "web", "lb2", "moved", 1'700'000'000'000, 2};
  const auto json_body = *json::parse_object(webhook_body(WebhookChannel{"u", "json", ""}, alert));
  EXPECT_EQ(json_body.at("kind"), "failover");
  EXPECT_EQ(json_body.at("suppressed"), 2);
  const auto slack = *json::parse_object(webhook_body(WebhookChannel{"u", "slack", ""}, alert));
  EXPECT_EQ(slack.size(), 1u);
  EXPECT_EQ(slack.at("text"), "[balctl] failover in pool web (lb2): moved [2 similar alerts suppressed]");
}

TEST(Dispatcher, OnlyAlertKindsAreSent) {
  EXPECT_TRUE(is_alert_kind("failover"));
  EXPECT_TRUE(is_alert_kind("member_offline"));
  EXPECT_TRUE(is_alert_kind("pool_recovered"));
  EXPECT_TRUE(is_alert_kind("dns_drift"));
  EXPECT_FALSE(is_alert_kind("pool_created"));
  EXPECT_FALSE(is_alert_kind("heartbeat_refused"));
}

TEST(Dispatcher, DeduplicatesAndCountsWhatWasHeldBack) {
  FakeSender sender;
  AlertDispatcher dispatcher([] { return std::vector<AlertChannel>{webhook("a"), webhook("b")}; },
                             AlertPolicy{200ms, 100, 3, 10ms}, std::ref(sender));
  dispatcher.start();
  dispatcher.on_event(event("failover"));
  dispatcher.on_event(event("failover"));
  dispatcher.on_event(event("failover"));
  dispatcher.on_event(event("pool_created"));
  ASSERT_TRUE(wait_for([&] { return sender.count() == 2; }));  // one alert, two channels
  std::this_thread::sleep_for(250ms);
  dispatcher.on_event(event("failover"));
  ASSERT_TRUE(wait_for([&] { return sender.count() == 4; }));
  EXPECT_EQ(sender.delivered.back().suppressed, 2);
  EXPECT_EQ(dispatcher.counters().suppressed, 2);
  dispatcher.on_event(event("failover", "lb2"));  // another member: not a duplicate
  ASSERT_TRUE(wait_for([&] { return sender.count() == 6; }));
}

TEST(Dispatcher, PerMinuteBudget) {
  FakeSender sender;
  AlertDispatcher dispatcher([] { return std::vector<AlertChannel>{webhook("a")}; }, AlertPolicy{0ms, 3, 3, 10ms},
                             std::ref(sender));
  dispatcher.start();
  for (int i = 0; i < 10; ++i) dispatcher.on_event(event("member_offline", "lb" + std::to_string(i)));
  ASSERT_TRUE(wait_for([&] { return sender.count() == 3; }));
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(sender.count(), 3u);
  EXPECT_EQ(dispatcher.counters().suppressed, 7);
}

TEST(Dispatcher, RetriesWithBackoffThenGivesUp) {
  FakeSender sender;
  sender.failures = 2;
  AlertDispatcher dispatcher([] { return std::vector<AlertChannel>{webhook("a")}; }, AlertPolicy{0ms, 100, 3, 10ms},
                             std::ref(sender));
  dispatcher.start();
  dispatcher.on_event(event("failover"));
  ASSERT_TRUE(wait_for([&] { return sender.count() == 1; }));
  EXPECT_EQ(sender.calls.load(), 3);
  sender.failures = 5;
  dispatcher.on_event(event("pool_down"));
  ASSERT_TRUE(wait_for([&] { return dispatcher.counters().failed == 1; }));
  EXPECT_EQ(sender.calls.load(), 6);  // three more attempts, then it gave up
}

}  // namespace
}  // namespace balctl::alerts
