#include "common/files.hpp"

#include <filesystem>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "common/crypto.hpp"
#include "common/log.hpp"
#include "common/time.hpp"
#include "unit/support/temp_dir.hpp"

namespace balctl {
namespace {

using testing::TempDir;

mode_t mode_of(const std::filesystem::path& path) {
  struct stat info {};
  ::stat(path.c_str(), &info);
  return info.st_mode & 07777;
}

TEST(Files, WriteAtomicSetsExactModeDespiteUmask) {
  TempDir dir;
  const auto old_umask = ::umask(0);
  const auto status = files::write_atomic(dir.path() / "secret", "s3cret\n", 0600);
  ::umask(old_umask);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(mode_of(dir.path() / "secret"), 0600u);
  EXPECT_EQ(*files::read(dir.path() / "secret"), "s3cret\n");
}

TEST(Files, WriteAtomicReplacesAndLeavesNoTemporaryFile) {
  TempDir dir;
  ASSERT_TRUE(files::write_atomic(dir.path() / "f", "one", 0644).ok());
  ASSERT_TRUE(files::write_atomic(dir.path() / "f", "two", 0600).ok());
  EXPECT_EQ(*files::read(dir.path() / "f"), "two");
  EXPECT_EQ(mode_of(dir.path() / "f"), 0600u);
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1);
}

TEST(Files, WriteAtomicFailsCleanlyInAMissingDirectory) {
  TempDir dir;
  const auto status = files::write_atomic(dir.path() / "missing" / "f", "x", 0600);
  ASSERT_FALSE(status.ok());
  EXPECT_NE(status.error().message.find("cannot create"), std::string::npos);
}

TEST(Files, ReadEnforcesTheSizeLimit) {
  TempDir dir;
  ASSERT_TRUE(files::write_atomic(dir.path() / "big", std::string(100, 'x'), 0600).ok());
  EXPECT_TRUE(files::read(dir.path() / "big", 100).ok());
  const auto too_big = files::read(dir.path() / "big", 99);
  ASSERT_FALSE(too_big.ok());
  EXPECT_EQ(too_big.error().kind, Errc::too_large);
  EXPECT_FALSE(files::read(dir.path() / "absent").ok());
}

TEST(Files, EnsureDirectorySetsMode) {
  TempDir dir;
  const auto nested = dir.path() / "a" / "b";
  ASSERT_TRUE(files::ensure_directory(nested, 0700).ok());
  EXPECT_EQ(mode_of(nested), 0700u);
  ASSERT_TRUE(files::ensure_directory(nested, 0750).ok());  // existing: mode corrected
  EXPECT_EQ(mode_of(nested), 0750u);
}

TEST(Time, Rfc3339) {
  EXPECT_EQ(time::rfc3339(0), "");
  EXPECT_EQ(time::rfc3339(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
  EXPECT_EQ(time::rfc3339(86'400'000), "1970-01-02T00:00:00.000Z");
}

TEST(Log, ParsesLevelsAndRejectsOthers) {
  EXPECT_TRUE(log::parse_level("info"));
  EXPECT_TRUE(log::parse_level("warning"));
  EXPECT_TRUE(log::parse_level("off"));
  EXPECT_FALSE(log::parse_level("verbose"));
  EXPECT_FALSE(log::parse_level("INFO"));
}

TEST(Log, RedactKeepsOnlyAPrefix) {
  const std::string secret = "bms.12.AbCdEfGhIjKlMnOp";
  const auto shown = log::redact(secret);
  EXPECT_EQ(shown, "bms.12***");
  EXPECT_EQ(shown.find("AbCd"), std::string::npos);
  EXPECT_EQ(log::redact("short"), "***");
}

TEST(Files, WriteAtomicModeIsExactWithARestrictiveUmaskToo) {
  TempDir dir;
  const auto old_umask = ::umask(077);
  const auto status = files::write_atomic(dir.path() / "public", "x", 0644);
  ::umask(old_umask);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(mode_of(dir.path() / "public"), 0644u);
}

TEST(Files, WriteAtomicOverwritesAStaleTemporaryFile) {
  TempDir dir;
  const auto target = dir.path() / "agent.env";
  // A crash of an earlier process with the same pid may have left the temporary name behind, world-readable.
  const auto stale = dir.path() / ("agent.env.tmp." + std::to_string(::getpid()));
  {
    std::ofstream out(stale);
    out << "old and much longer content that must not survive";
  }
  ::chmod(stale.c_str(), 0666);
  ASSERT_TRUE(files::write_atomic(target, "new", 0600).ok());
  EXPECT_EQ(*files::read(target), "new");
  EXPECT_EQ(mode_of(target), 0600u);
  EXPECT_FALSE(std::filesystem::exists(stale));
}

TEST(Files, FailedRenameLeavesNoTemporaryFile) {
  TempDir dir;
  const auto target = dir.path() / "occupied";
  std::filesystem::create_directory(target);
  std::ofstream(target / "inside") << "x";  // a non-empty directory cannot be renamed over
  const auto status = files::write_atomic(target, "content", 0600);
  ASSERT_FALSE(status.ok());
  EXPECT_EQ(status.error().code, "io_error");
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir.path()), {}), 1)
      << "only the directory remains";
}

TEST(Files, ReadReturnsExactBytes) {
  TempDir dir;
  const std::string binary("a\0b\r\n\xff", 6);
  ASSERT_TRUE(files::write_atomic(dir.path() / "bin", binary, 0600).ok());
  EXPECT_EQ(*files::read(dir.path() / "bin", 6), binary);
  ASSERT_TRUE(files::write_atomic(dir.path() / "empty", "", 0600).ok());
  EXPECT_EQ(*files::read(dir.path() / "empty", 0), "");
  const auto absent = files::read(dir.path() / "absent");
  ASSERT_FALSE(absent.ok());
  EXPECT_EQ(absent.error().code, "io_error");
}

TEST(Files, EnsureDirectoryFailsOnAFile) {
  TempDir dir;
  ASSERT_TRUE(files::write_atomic(dir.path() / "file", "x", 0600).ok());
  EXPECT_FALSE(files::ensure_directory(dir.path() / "file", 0700).ok());
  EXPECT_FALSE(files::ensure_directory(dir.path() / "file" / "sub", 0700).ok());
}

TEST(Time, Rfc3339PadsMillisecondsAndRejectsNegative) {
  EXPECT_EQ(time::rfc3339(5), "1970-01-01T00:00:00.005Z");
  EXPECT_EQ(time::rfc3339(951'782'400'000), "2000-02-29T00:00:00.000Z");
  EXPECT_EQ(time::rfc3339(-1), "");
}

TEST(Time, ClocksMoveForward) {
  const auto wall = time::unix_ms_now();
  EXPECT_GT(wall, 1'600'000'000'000);  // after 2020
  const auto a = time::steady_ms_now();
  const auto b = time::steady_ms_now();
  EXPECT_LE(a, b);
}

TEST(Log, LevelsAreOrderedAndWarningIsAnAlias) {
  const auto trace = *log::parse_level("trace");
  const auto debug = *log::parse_level("debug");
  const auto info = *log::parse_level("info");
  const auto warn = *log::parse_level("warn");
  const auto error = *log::parse_level("error");
  const auto off = *log::parse_level("off");
  EXPECT_LT(trace, debug);
  EXPECT_LT(debug, info);
  EXPECT_LT(info, warn);
  EXPECT_LT(warn, error);
  EXPECT_LT(error, off);
  EXPECT_EQ(*log::parse_level("warning"), warn);
  EXPECT_FALSE(log::parse_level(""));
  EXPECT_FALSE(log::parse_level("info "));
}

TEST(Log, RedactNeverShowsTheSecretPartOfACredential) {
  crypto::init();
  for (const auto& [prefix, id] : std::vector<std::pair<std::string, std::string>>{
           {"bms", "1"}, {"bms", "123456"}, {"bat", "admin"}, {"bek", "AbCdEfGhIjKl"}}) {
    const auto credential = crypto::make_credential(prefix, id);
    const auto secret = credential.text.substr(credential.text.rfind('.') + 1);
    const auto shown = log::redact(credential.text);
    EXPECT_EQ(shown.substr(shown.size() - 3), "***");
    const auto visible = shown.substr(0, shown.size() - 3);
    EXPECT_EQ(credential.text.rfind(visible, 0), 0u) << "shows a prefix of the text";
    EXPECT_LE(visible.size(), prefix.size() + 1 + id.size() + 1) << shown;
    EXPECT_EQ(shown.find(secret.substr(0, 3)), std::string::npos) << shown;
  }
  EXPECT_EQ(log::redact(""), "***");
  EXPECT_EQ(log::redact("123456"), "***");
}

}  // namespace
}  // namespace balctl
