// Jittered exponential backoff for a control plane that does not answer: the delay doubles per failure
// up to a cap, and each delay is drawn from [50 %, 100 %] of that value so that a fleet of agents does
// not come back in lock-step after an outage.
#pragma once

#include <chrono>

namespace balctl::agent {

class Backoff {
 public:
  Backoff(std::chrono::milliseconds base, std::chrono::milliseconds cap) : base_(base), cap_(cap) {}

  // The delay before the next attempt after one more failure; `random01` is uniform in [0, 1).
  std::chrono::milliseconds next(double random01);
  void reset() { failures_ = 0; }
  int failures() const { return failures_; }
  void set_base(std::chrono::milliseconds base) { base_ = base; }

 private:
  std::chrono::milliseconds base_;
  std::chrono::milliseconds cap_;
  int failures_ = 0;
};

}  // namespace balctl::agent
