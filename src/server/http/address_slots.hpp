// Open connections per client address, so that one address (a slow-loris client, a runaway script) cannot
// take every --max-connections slot and lock all other clients out (issue 13 item 16).
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace balctl::http {

class AddressSlots {
 public:
  explicit AddressSlots(std::size_t per_address) : per_address_(per_address) {}

  // Takes one of `address`'s slots; false when it already holds all of them.
  bool acquire(const std::string& address);
  void release(const std::string& address);
  std::size_t held(const std::string& address) const;

 private:
  const std::size_t per_address_;
  mutable std::mutex mutex_;  // taken by the acceptor and by sessions closing on any I/O thread
  std::unordered_map<std::string, std::size_t> held_;
};

}  // namespace balctl::http
