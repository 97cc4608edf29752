// How often the control plane re-reads a record while it verifies a change. A plain DNS query costs the
// authority nothing, so RFC 2136 (and PowerDNS verified on its DNS port) polls every 20 ms; an API read
// counts against the provider's rate limit (Cloudflare: 1 200 requests per 5 minutes, and exceeding it
// blocks every call for 5 minutes), so API providers back off: 100 ms doubling to 2 s, about ten reads
// in a 10 s window instead of ~150.
#pragma once

#include <algorithm>
#include <chrono>

namespace balctl::dns {

struct VerifySchedule {
  std::chrono::milliseconds first{100};  // the wait after the first read
  std::chrono::milliseconds max{2000};   // the wait never grows beyond this
  int factor = 2;                        // 1: a fixed interval

  // The wait after read number `reads` (1 = after the first read).
  std::chrono::milliseconds wait_after(int reads) const {
    auto wait = first;
    for (int i = 1; i < reads && wait < max && factor > 1; ++i)
      wait *= factor;
    return std::min(wait, max);
  }

  static VerifySchedule api() { return {}; }
  static VerifySchedule dns_queries() {
    return {std::chrono::milliseconds(20), std::chrono::milliseconds(20), 1};
  }
};

}  // namespace balctl::dns
