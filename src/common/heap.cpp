#include "common/heap.hpp"

#include <malloc.h>

#include <cstddef>

// jemalloc's control interface; null when this process runs on glibc's malloc.
extern "C" int mallctl(const char* name, void* old_value, std::size_t* old_length, void* new_value,
                       std::size_t new_length) __attribute__((weak));

// Read by jemalloc at its first allocation (ignored by glibc). Why these settings:
// - background_thread: a jemalloc thread returns unused pages to the kernel, dirty_decay_ms after they were
//   freed, instead of the allocating thread (an I/O thread) doing it in the middle of a request;
// - narenas:1 and a 1 s dirty decay: memory per member, not per thread, is what grows with the fleet.
//   One arena keeps every member's long-lived state packed together (the per-thread caches still spare the
//   I/O threads its locks): 1.33-1.39 KB per member in bench/heartbeat-load, where two arenas and a 2 s
//   decay measured 1.63 KB and glibc 1.36-1.44 KB.
extern "C" {
__attribute__((used)) const char* malloc_conf = "background_thread:true,narenas:1,dirty_decay_ms:1000";
}

namespace balctl::heap {
namespace {

// glibc only, measured with bench/heartbeat-load at 10 000 members (before jemalloc was linked):
// glibc gives every thread that allocates an arena of its own (up to 8 per core), each keeping its own
// free memory: 4-5 MB per I/O thread after a burst of connections. Two arenas: 2.3 -> 1.7 KB of RSS per
// member. A fixed mmap threshold: glibc otherwise raises it after each large free, and large transient
// buffers (a liveness batch, a burst of reports) then land in the heap between long-lived state.
constexpr int kGlibcArenas = 2;
constexpr int kGlibcMmapThresholdBytes = 256 * 1024;

}  // namespace

bool is_jemalloc() { return mallctl != nullptr; }

std::string allocator_name() {
  if (!is_jemalloc()) return "glibc";
  const char* version = nullptr;
  std::size_t length = sizeof version;
  if (mallctl("version", static_cast<void*>(&version), &length, nullptr, 0) != 0 || version == nullptr)
    return "jemalloc";
  return std::string("jemalloc ") + version;
}

void tune_for_server() {
  if (is_jemalloc()) return;
  mallopt(M_ARENA_MAX, kGlibcArenas);
  mallopt(M_MMAP_THRESHOLD, kGlibcMmapThresholdBytes);
}

void release_free_memory() {
  if (is_jemalloc()) return;
  malloc_trim(0);
}

}  // namespace balctl::heap
