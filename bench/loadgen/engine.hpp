// The load generator's HTTP/1.1 client engine: many keep-alive connections (TLS or plain) to one
// 127.0.0.1 endpoint, driven either closed-loop (each connection sends its next request as soon as the
// previous reply arrived) or open-loop (requests have scheduled send times; latency is measured from the
// scheduled time, so a server that falls behind cannot hide it: no coordinated omission).
// Boost.Beast and Asio stay inside engine.cpp; callers see plain structs.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace balctl::bench {

struct Target {
  std::string host = "127.0.0.1";
  unsigned short port = 0;
  bool tls = true;
  std::string ca_cert;  // PEM file the server certificate must chain to; empty: not verified
  int threads = 1;      // client I/O threads
  std::chrono::milliseconds request_timeout{10'000};
};

struct HttpRequest {
  std::string method = "GET";
  std::string target = "/";
  std::string authorization;  // full header value, e.g. "Bearer ..."
  std::string content_type;
  std::string body;
  std::uint64_t tag = 0;  // caller's own reference (e.g. a member index), handed back with the reply
};

struct HttpReply {
  unsigned status = 0;
  std::string body;
};

// What the machine's own stall meter saw during an open-loop window (stall_meter.hpp).
struct StallReport {
  std::string meter = "off";  // fifo | fair | off
  std::uint64_t events = 0;   // wake-ups later than the threshold, summed over the CPUs
  double max_ms = 0;          // longest single lateness
  double stalled_cpu_ms = 0;  // lateness summed over the CPUs
  double window_s = 0;        // how long the meter ran
  unsigned cpus = 0;
};

struct RunResult {
  std::uint64_t ok = 0;      // 2xx replies
  std::uint64_t errors = 0;  // non-2xx replies + transport failures + requests never answered
  std::map<unsigned, std::uint64_t> statuses;     // non-2xx status -> count
  std::map<std::string, std::uint64_t> failures;  // transport failure -> count
  std::vector<std::uint32_t> latencies_us;        // one per 2xx reply (capped, see kMaxSamples)
  // Open loop only: from the moment the request was written, so without the client's own lateness.
  std::vector<std::uint32_t> service_latencies_us;
  double elapsed_s = 0;                  // measured window
  std::uint64_t connections_opened = 0;  // successful handshakes, including reconnects
  std::uint64_t late_sends = 0;          // open loop: sent more than 1 ms after schedule
  std::string first_error_body;          // body of the first non-2xx reply, for diagnosis
  StallReport stalls;                    // open loop: over the measured window
};

inline constexpr std::size_t kMaxSamples = 5'000'000;

struct ClosedLoop {
  int connections = 64;
  std::chrono::milliseconds duration{10'000};
  std::uint64_t max_requests = 100'000'000;
  // Next request for `connection`; nullopt ends that connection. Called from client I/O threads.
  std::function<std::optional<HttpRequest>(std::size_t connection)> next;
  // Every reply (any status). Optional; called from client I/O threads.
  std::function<void(const HttpRequest&, const HttpReply&)> on_reply;
};
RunResult run_closed_loop(const Target& target, const ClosedLoop& spec);

struct OpenLoop {
  std::size_t members = 0;  // each member sends once per period at its own phase
  int connections = 0;      // member m uses connection m % connections; 0: one per member
  std::chrono::milliseconds period{1000};
  std::chrono::milliseconds duration{10'000};
  // Sent on schedule before the measured window but not measured (like wrk2's calibration period): the
  // server settles after the connect phase, during which no member could send.
  std::chrono::milliseconds warmup{0};
  std::chrono::milliseconds grace{5'000};  // after the last scheduled send, for the last replies
  std::vector<double> phases;              // per member, in [0, 1) of a period
  bool measure_stalls = false;             // run a StallMeter over the measured window
  // The request for `member`'s `round`-th send. Called from client I/O threads.
  std::function<HttpRequest(std::size_t member, std::uint64_t round)> make;
};
RunResult run_open_loop(const Target& target, const OpenLoop& spec);

// Opens `connections` connections, optionally sends one request on each (`warm`), then keeps them open
// and idle for `hold`. `on_ready(open)` is called once all are up (from a client thread).
RunResult hold_idle(const Target& target, int connections, std::chrono::milliseconds hold,
                    const std::function<std::optional<HttpRequest>(std::size_t connection)>& warm,
                    const std::function<void(std::uint64_t open)>& on_ready);

}  // namespace balctl::bench
