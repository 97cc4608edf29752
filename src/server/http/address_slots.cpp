#include "server/http/address_slots.hpp"

namespace balctl::http {

bool AddressSlots::acquire(const std::string& address) {
  std::lock_guard lock(mutex_);
  auto& count = held_[address];
  if (count >= per_address_) return false;
  ++count;
  return true;
}

void AddressSlots::release(const std::string& address) {
  std::lock_guard lock(mutex_);
  const auto it = held_.find(address);
  if (it == held_.end()) return;
  if (--it->second == 0) held_.erase(it);  // the map only holds addresses with open connections
}

std::size_t AddressSlots::held(const std::string& address) const {
  std::lock_guard lock(mutex_);
  const auto it = held_.find(address);
  return it == held_.end() ? 0 : it->second;
}

}  // namespace balctl::http
