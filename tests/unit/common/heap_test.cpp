// Built twice: into balctl_unit_common (glibc's malloc, like the agent) and into balctl_unit_heap_jemalloc
// (linked with jemalloc exactly like the `balctl` binary), where BALCTL_TEST_JEMALLOC is defined.
#include "common/heap.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <vector>

#include <gtest/gtest.h>

namespace balctl::heap {
namespace {

// Frees after a burst of allocations of the sizes a heartbeat makes, then releases: nothing may crash,
// and the heap must still serve allocations afterwards.
void churn_then_release() {
  std::vector<void*> blocks;
  for (std::size_t i = 0; i < 4096; ++i) blocks.push_back(std::malloc(64 + (i % 64) * 48));
  for (std::size_t i = 0; i < blocks.size(); i += 2) std::free(blocks[i]);
  release_free_memory();
  for (std::size_t i = 1; i < blocks.size(); i += 2) std::free(blocks[i]);
  release_free_memory();
  void* again = std::malloc(2048);
  ASSERT_NE(again, nullptr);
  std::free(again);
}

#ifdef BALCTL_TEST_JEMALLOC

extern "C" int mallctl(const char*, void*, std::size_t*, void*, std::size_t);

template <class T>
T option(const char* name) {
  T value{};
  std::size_t length = sizeof value;
  EXPECT_EQ(mallctl(name, &value, &length, nullptr, 0), 0) << name;
  return value;
}

TEST(HeapJemalloc, IsDetectedAndNamedWithItsVersion) {
  EXPECT_TRUE(is_jemalloc());
  EXPECT_EQ(allocator_name().rfind("jemalloc 5.", 0), 0u) << allocator_name();
}

// The settings in heap.cpp's malloc_conf reach jemalloc: a typo there is silently ignored by jemalloc
// (it prints a warning and keeps its defaults), so this is the only place that would notice.
TEST(HeapJemalloc, ServerSettingsAreInEffect) {
  tune_for_server();
  EXPECT_TRUE(option<bool>("opt.background_thread"));
  EXPECT_EQ(option<unsigned>("opt.narenas"), 1u);
  EXPECT_EQ(option<std::int64_t>("opt.dirty_decay_ms"), 1000);
}

TEST(HeapJemalloc, ReleaseIsHarmless) { churn_then_release(); }

#else

TEST(HeapGlibc, IsDetectedAsGlibc) {
  EXPECT_FALSE(is_jemalloc());
  EXPECT_EQ(allocator_name(), "glibc");
}

TEST(HeapGlibc, TuneThenReleaseIsHarmless) {
  tune_for_server();
  churn_then_release();
}

#endif

}  // namespace
}  // namespace balctl::heap
