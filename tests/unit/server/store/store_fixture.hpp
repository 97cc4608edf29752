// A real SQLite store in a temp dir, reopened at will, with helpers that add pools and members.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "server/store/store.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl::testing {

class StoreFixture : public ::testing::Test {
 protected:
  void SetUp() override { reopen(); }

  void reopen() {
    store_.reset();
    auto opened = store::open_sqlite_store(file());
    ASSERT_TRUE(opened.ok()) << opened.error().message;
    store_ = std::move(*opened);
  }
  std::filesystem::path file() const { return dir_.path() / "balctl.db"; }

  store::PoolRecord pool(std::string name) {
    store::PoolRecord p;
    p.name = std::move(name);
    p.hostname = p.name + ".example.com";
    p.created_ms = 1;
    auto stored = store_->insert_pool(p);
    EXPECT_TRUE(stored.ok()) << (stored.ok() ? "" : stored.error().message);
    return stored.ok() ? *stored : store::PoolRecord{};
  }

  store::MemberRecord member(std::int64_t pool_id, std::string host, std::string key_id) {
    store::MemberRecord m;
    m.pool_id = pool_id;
    m.hostname = std::move(host);
    m.ipv4 = "192.0.2." + std::to_string(1 + next_address_++);  // members of a pool need their own
    m.created_ms = 1;
    store::EnrollmentKeyRecord key{std::move(key_id), 0, "hash", 1, 1'000'000, std::nullopt};
    auto stored = store_->insert_member(m, key);
    EXPECT_TRUE(stored.ok()) << (stored.ok() ? "" : stored.error().message);
    return stored.ok() ? *stored : store::MemberRecord{};
  }

  TempDir dir_;
  std::unique_ptr<store::Store> store_;
  int next_address_ = 0;
};

}  // namespace balctl::testing
