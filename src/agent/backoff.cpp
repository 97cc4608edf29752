#include "agent/backoff.hpp"

#include <algorithm>

namespace balctl::agent {

std::chrono::milliseconds Backoff::next(double random01) {
  ++failures_;
  const int exponent = std::min(failures_ - 1, 20);  // 2^20 * base is far past any cap
  const auto grown = base_.count() * (std::int64_t{1} << exponent);
  const auto ceiling = std::min<std::int64_t>(grown, cap_.count());
  const double factor = 0.5 + 0.5 * std::clamp(random01, 0.0, 1.0);
  return std::chrono::milliseconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(ceiling * factor)));
}

}  // namespace balctl::agent
