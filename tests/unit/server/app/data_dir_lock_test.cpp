#include "server/app/data_dir_lock.hpp"

#include <csignal>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include "common/files.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl::app {
namespace {

TEST(DataDirLock, SecondHolderIsRefusedWithTheFirstOnesPid) {
  testing::TempDir dir;
  auto first = DataDirLock::acquire(dir.path());
  ASSERT_TRUE(first.ok()) << first.error().message;
  const auto second = DataDirLock::acquire(dir.path());  // a separate open file: flock conflicts
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, "data_dir_locked");
  EXPECT_NE(second.error().message.find("PID " + std::to_string(::getpid())), std::string::npos)
      << second.error().message;
  EXPECT_EQ(*files::read(dir.path() / DataDirLock::kFileName), std::to_string(::getpid()) + "\n");
  struct stat info {};
  ASSERT_EQ(::stat((dir.path() / DataDirLock::kFileName).c_str(), &info), 0);
  EXPECT_EQ(info.st_mode & 0777, 0600u);
}

TEST(DataDirLock, ReleasedWhenTheHolderIsDestroyedOrMoved) {
  testing::TempDir dir;
  {
    auto first = DataDirLock::acquire(dir.path());
    ASSERT_TRUE(first.ok());
    DataDirLock moved = std::move(*first);
    EXPECT_FALSE(DataDirLock::acquire(dir.path()).ok()) << "the moved-to object holds it";
  }
  EXPECT_TRUE(DataDirLock::acquire(dir.path()).ok())
      << "released on destruction; the file left behind is no lock";
}

// kill -9 runs no destructor: the kernel releases the flock when the process's descriptors close.
TEST(DataDirLock, ReleasedWhenTheHolderIsKilled) {
  testing::TempDir dir;
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto lock = DataDirLock::acquire(dir.path());
    const char byte = lock.ok() ? '1' : '0';
    (void)::write(ready[1], &byte, 1);
    while (true)
      ::pause();
  }
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1);
  ASSERT_EQ(byte, '1');
  const auto refused = DataDirLock::acquire(dir.path());
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("PID " + std::to_string(child)), std::string::npos)
      << refused.error().message;
  ::kill(child, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ::close(ready[0]);
  ::close(ready[1]);
  const auto after = DataDirLock::acquire(dir.path());
  EXPECT_TRUE(after.ok()) << after.error().message;
}

TEST(DataDirLock, UnusableDirectoryIsAClearError) {
  const auto missing = DataDirLock::acquire("/nonexistent/balctl-data");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/balctl-data/balctl.lock"), std::string::npos);
}

}  // namespace
}  // namespace balctl::app
