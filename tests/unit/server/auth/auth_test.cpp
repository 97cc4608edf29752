#include <filesystem>
#include <memory>
#include <string>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include "common/crypto.hpp"
#include "common/files.hpp"
#include "server/auth/admin_tokens.hpp"
#include "server/auth/signing_key.hpp"
#include "server/events/event_log.hpp"
#include "unit/support/temp_dir.hpp"
#include "unit/server/store/test_store.hpp"

namespace balctl::auth {
namespace {

class AdminTokensTest : public ::testing::Test {
 protected:
  void SetUp() override {
    crypto::init();
    store_ = testing::open_test_store(dir_.path() / "db");
    events_ = std::make_unique<events::EventLog>(*store_);
    tokens_ = std::make_unique<AdminTokens>(*store_, *events_);
  }
  std::filesystem::path token_file() const { return dir_.path() / "admin.token"; }

  testing::TempDir dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<events::EventLog> events_;
  std::unique_ptr<AdminTokens> tokens_;
};

TEST_F(AdminTokensTest, BootstrapWritesAPrivateTokenOnce) {
  ASSERT_TRUE(tokens_->bootstrap(token_file()).ok());
  struct stat info {};
  ASSERT_EQ(::stat(token_file().c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  auto text = *files::read(token_file());
  text.pop_back();
  EXPECT_EQ(*tokens_->authenticate(text), "admin");
  // The store holds only the hash.
  EXPECT_NE(store_->list_tokens()->at(0).token_hash, text);
  AdminTokens again(*store_, *events_);
  ASSERT_TRUE(again.bootstrap(token_file()).ok());
  EXPECT_EQ(*files::read(token_file()), text + "\n");
}

TEST_F(AdminTokensTest, AuthenticateRejectsWrongAndMalformedTokens) {
  ASSERT_TRUE(tokens_->bootstrap(token_file()).ok());
  for (const char* bad : {"", "bat", "bat.admin.", "bat.admin.wrong", "bat.nobody.x", "bms.1.x"}) {
    const auto result = tokens_->authenticate(bad);
    ASSERT_FALSE(result.ok()) << bad;
    EXPECT_EQ(result.error().kind, Errc::unauthorized);
  }
}

TEST_F(AdminTokensTest, CreateRevokeAndGuards) {
  ASSERT_TRUE(tokens_->bootstrap(token_file()).ok());
  EXPECT_EQ(tokens_->create("Bad Name", "t").error().field, "name");
  const auto ci = tokens_->create("ci", "admin:admin");
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ(*tokens_->authenticate(*ci), "ci");
  EXPECT_EQ(tokens_->create("ci", "t").error().code, "token_exists");
  EXPECT_EQ(tokens_->revoke("ghost", "t").error().code, "token_not_found");
  ASSERT_TRUE(tokens_->revoke("ci", "admin:admin").ok());
  EXPECT_FALSE(tokens_->authenticate(*ci).ok());
  EXPECT_EQ(tokens_->revoke("admin", "t").error().code, "last_token");
  EXPECT_EQ(tokens_->list()->size(), 1u);
}

TEST(SigningKey, CreatedPrivateAndStable) {
  crypto::init();
  testing::TempDir dir;
  const auto file = dir.path() / "signing.key";
  const auto first = load_or_create_signing_key(file);
  ASSERT_TRUE(first.ok());
  struct stat info {};
  ::stat(file.c_str(), &info);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
  const auto second = load_or_create_signing_key(file);
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(second->public_key, first->public_key);
  const auto signature = crypto::sign_detached("m", second->secret_key);
  EXPECT_TRUE(crypto::verify_detached("m", signature, first->public_key));
  ASSERT_TRUE(files::write_atomic(file, "garbage\n", 0600).ok());
  EXPECT_EQ(load_or_create_signing_key(file).error().code, "bad_signing_key");
}

TEST_F(AdminTokensTest, BootstrapRecordsAnEventAndTheTokenShape) {
  ASSERT_TRUE(tokens_->bootstrap(token_file()).ok());
  auto text = *files::read(token_file());
  ASSERT_EQ(text.back(), '\n');
  text.pop_back();
  EXPECT_EQ(text.rfind("bat.admin.", 0), 0u);
  EXPECT_EQ(text.size(), std::string("bat.admin.").size() + 43);
  const auto events = *store_->list_events({0, 10, std::nullopt});
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].kind, "token_created");
  EXPECT_EQ(events[0].actor, "system");
  EXPECT_EQ(events[0].message.find(text), std::string::npos);
  const auto tokens = *store_->list_tokens();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].token_hash, crypto::hash_secret(text));
}

TEST_F(AdminTokensTest, BootstrapWithTokensInTheStoreLeavesFilesAlone) {
  ASSERT_TRUE(tokens_->bootstrap(token_file()).ok());
  const auto original = *files::read(token_file());
  std::filesystem::remove(token_file());
  AdminTokens restarted(*store_, *events_);
  ASSERT_TRUE(restarted.bootstrap(token_file()).ok());
  EXPECT_FALSE(std::filesystem::exists(token_file())) << "no second admin token is minted on restart";
  auto text = original;
  text.pop_back();
  EXPECT_EQ(*restarted.authenticate(text), "admin") << "the restarted instance loaded the hashes";
}

TEST_F(AdminTokensTest, BootstrapFailsWhenTheTokenFileCannotBeWritten) {
  const auto status = tokens_->bootstrap(dir_.path() / "missing-dir" / "admin.token");
  ASSERT_FALSE(status.ok());
  EXPECT_TRUE(store_->list_tokens()->empty()) << "no token that nobody can read";
}

TEST_F(AdminTokensTest, CreatedTokensWorkAcrossInstancesAndAreAudited) {
  ASSERT_TRUE(tokens_->bootstrap(token_file()).ok());
  const auto ci = tokens_->create("ci-bot", "admin:admin");
  ASSERT_TRUE(ci.ok());
  EXPECT_EQ(ci->rfind("bat.ci-bot.", 0), 0u);
  AdminTokens other(*store_, *events_);
  ASSERT_TRUE(other.bootstrap(token_file()).ok());
  EXPECT_EQ(*other.authenticate(*ci), "ci-bot");
  const auto listed = *tokens_->list();
  ASSERT_EQ(listed.size(), 2u);
  EXPECT_EQ(listed[0].name, "admin");
  EXPECT_EQ(listed[1].name, "ci-bot");
  EXPECT_GT(listed[1].created_ms, 0);
  ASSERT_TRUE(tokens_->revoke("ci-bot", "admin:admin").ok());
  const auto events = *store_->list_events({0, 10, std::nullopt});
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events[1].kind, "token_created");
  EXPECT_EQ(events[1].actor, "admin:admin");
  EXPECT_EQ(events[1].message.find(*ci), std::string::npos);
  EXPECT_EQ(events[2].kind, "token_revoked");
}

TEST_F(AdminTokensTest, CreateRejectsEveryInvalidName) {
  ASSERT_TRUE(tokens_->bootstrap(token_file()).ok());
  for (const std::string& name : {std::string(), std::string("CI"), std::string("-ci"), std::string("c i"),
                                  std::string("a.b"), std::string(64, 'a')}) {
    const auto created = tokens_->create(name, "t");
    ASSERT_FALSE(created.ok()) << name;
    EXPECT_EQ(created.error().kind, Errc::invalid_argument) << name;
    EXPECT_EQ(created.error().field, "name") << name;
  }
  EXPECT_EQ(tokens_->list()->size(), 1u);
  EXPECT_EQ(tokens_->create("admin", "t").error().kind, Errc::conflict);
}

TEST_F(AdminTokensTest, ATokenOfAnotherNameDoesNotAuthenticate) {
  ASSERT_TRUE(tokens_->bootstrap(token_file()).ok());
  const auto ci = *tokens_->create("ci", "t");
  // Same secret, claimed under another name: the hash is looked up by name, so it fails.
  const std::string forged = "bat.admin." + ci.substr(ci.rfind('.') + 1);
  EXPECT_FALSE(tokens_->authenticate(forged).ok());
  EXPECT_EQ(tokens_->revoke("admin", "admin:ci").ok(), true) << "two tokens: revoking one is allowed";
  EXPECT_EQ(tokens_->revoke("ci", "admin:ci").error().code, "last_token");
}

TEST(SigningKey, FileHoldsTheBase64SecretKey) {
  crypto::init();
  testing::TempDir dir;
  const auto file = dir.path() / "signing.key";
  const auto pair = load_or_create_signing_key(file);
  ASSERT_TRUE(pair.ok());
  EXPECT_EQ(pair->public_key.size(), 32u);
  EXPECT_EQ(pair->secret_key.size(), 64u);
  auto text = *files::read(file);
  ASSERT_EQ(text.back(), '\n');
  text.pop_back();
  EXPECT_EQ(crypto::from_base64(text), pair->secret_key);
  // A key of the wrong length is refused rather than used.
  ASSERT_TRUE(files::write_atomic(file, crypto::base64(std::string(32, 'k')) + "\n", 0600).ok());
  EXPECT_EQ(load_or_create_signing_key(file).error().code, "bad_signing_key");
  // Windows line endings are tolerated.
  ASSERT_TRUE(files::write_atomic(file, crypto::base64(pair->secret_key) + "\r\n", 0600).ok());
  EXPECT_EQ(load_or_create_signing_key(file)->public_key, pair->public_key);
}

TEST(SigningKey, MissingDirectoryIsAnError) {
  crypto::init();
  testing::TempDir dir;
  EXPECT_FALSE(load_or_create_signing_key(dir.path() / "nope" / "signing.key").ok());
}

}  // namespace
}  // namespace balctl::auth
