// The served agent binary: one shared copy, re-read when the file changes, a cap on downloads at once.
#include "server/api/agent_binary.hpp"

#include <gtest/gtest.h>

#include "common/files.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl::api {
namespace {

TEST(AgentBinary, OneSharedCopyUntilTheFileChanges) {
  testing::TempDir dir;
  const auto path = dir.path() / "balctl-agent";
  ASSERT_TRUE(files::write_atomic(path, "version 1", 0755).ok());
  AgentBinary binary(path);
  auto first = binary.contents();
  auto second = binary.contents();
  ASSERT_TRUE(first.ok());
  ASSERT_TRUE(second.ok());
  EXPECT_EQ(first->get(), second->get()) << "every download shares one buffer";
  EXPECT_EQ(**first, "version 1");

  ASSERT_TRUE(files::write_atomic(path, "version 2, longer", 0755).ok());
  auto third = binary.contents();
  ASSERT_TRUE(third.ok());
  EXPECT_EQ(**third, "version 2, longer") << "an upgraded file is served";
  EXPECT_EQ(**first, "version 1") << "a download in flight keeps the copy it started with";
}

TEST(AgentBinary, MissingFileIsAnError) {
  testing::TempDir dir;
  AgentBinary binary(dir.path() / "absent");
  const auto contents = binary.contents();
  ASSERT_FALSE(contents.ok());
  EXPECT_EQ(contents.error().code, "agent_not_available");
}

TEST(AgentBinary, DownloadsAtOnceAreCapped) {
  testing::TempDir dir;
  AgentBinary binary(dir.path() / "x", 2);
  auto a = binary.try_start_download();
  auto b = binary.try_start_download();
  EXPECT_TRUE(a);
  EXPECT_TRUE(b);
  EXPECT_FALSE(binary.try_start_download()) << "the third at once is refused";
  EXPECT_EQ(binary.downloads_in_flight(), 2u);
  a.reset();
  EXPECT_EQ(binary.downloads_in_flight(), 1u);
  EXPECT_TRUE(binary.try_start_download()) << "a finished download frees its slot";
}

}  // namespace
}  // namespace balctl::api
