// Which malloc serves this process, and the two things the control plane asks of it: a set-up before
// any thread starts, and handing free memory back to the kernel. The `balctl` binary links jemalloc
// (see src/cli/CMakeLists.txt); the agent, the tests and a sanitizer build run on glibc's malloc. The
// functions find out at run time (a weak reference to jemalloc's mallctl, as folly does), so the same
// code serves both.
#pragma once

#include <string>

namespace balctl::heap {

// "jemalloc 5.3.0-0-g54eaed1d..." or "glibc".
std::string allocator_name();
bool is_jemalloc();

// Call once, before the first thread starts. glibc: two arenas and a fixed mmap threshold (see heap.cpp).
// jemalloc: nothing, it is configured by the `malloc_conf` string defined in heap.cpp.
void tune_for_server();

// Returns free heap memory to the kernel. glibc: malloc_trim, which holds each arena's lock while it
// walks the free chunks (milliseconds; allocations in that arena wait), so call it rarely and off the
// I/O threads. jemalloc: a no-op, its background thread purges unused pages after `dirty_decay_ms`.
void release_free_memory();

}  // namespace balctl::heap
