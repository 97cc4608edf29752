// A fake systemd for the D-Bus path of the HAProxy probe: a peer-to-peer sd-bus server on a UNIX socket
// that serves org.freedesktop.systemd1.Unit (LoadState, ActiveState) and .Service (MainPID) for one
// unit, with values the test sets. systemd is not PID 1 on the test machines, so this is the only way
// that code runs in tests; the protocol (object path encoding, property Get calls, the variant types)
// is the one real systemd speaks.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <thread>
#include <unistd.h>

#include <systemd/sd-bus.h>

namespace balctl::agent::test {

class FakeSystemd {
 public:
  FakeSystemd(const std::string& socket_path, const std::string& unit) : socket_path_(socket_path) {
    char* path = nullptr;
    if (sd_bus_path_encode("/org/freedesktop/systemd1/unit", unit.c_str(), &path) < 0)
      throw std::runtime_error("path");
    object_path_ = path;
    std::free(path);
    listener_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un address{};
    address.sun_family = AF_UNIX;
    std::snprintf(address.sun_path, sizeof address.sun_path, "%s", socket_path.c_str());
    if (::bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
        ::listen(listener_, 4) != 0) {
      throw std::runtime_error("cannot listen on " + socket_path);
    }
    thread_ = std::thread([this] { serve(); });
  }
  ~FakeSystemd() {
    stop_ = true;
    thread_.join();
    ::close(listener_);
  }
  FakeSystemd(const FakeSystemd&) = delete;
  FakeSystemd& operator=(const FakeSystemd&) = delete;

  std::string address() const { return "unix:path=" + socket_path_; }
  void set(std::string load, std::string active, std::uint32_t main_pid = 0) {
    std::lock_guard lock(mutex_);
    load_ = std::move(load);
    active_ = std::move(active);
    main_pid_ = main_pid;
  }
  int calls() const { return calls_; }

 private:
  static int get_property(sd_bus*, const char*, const char*, const char* property, sd_bus_message* reply,
                          void* self_ptr, sd_bus_error*) {
    auto* self = static_cast<FakeSystemd*>(self_ptr);
    std::lock_guard lock(self->mutex_);
    ++self->calls_;
    if (std::strcmp(property, "MainPID") == 0) return sd_bus_message_append(reply, "u", self->main_pid_);
    return sd_bus_message_append(
        reply, "s", std::strcmp(property, "LoadState") == 0 ? self->load_.c_str() : self->active_.c_str());
  }

  // One client connection at a time, as the probe keeps one; a new one after the old one closes.
  void serve() {
    static const sd_bus_vtable unit_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("LoadState", "s", get_property, 0, 0),
        SD_BUS_PROPERTY("ActiveState", "s", get_property, 0, 0),
        SD_BUS_VTABLE_END,
    };
    static const sd_bus_vtable service_vtable[] = {
        SD_BUS_VTABLE_START(0),
        SD_BUS_PROPERTY("MainPID", "u", get_property, 0, 0),
        SD_BUS_VTABLE_END,
    };
    while (!stop_) {
      pollfd waiter{listener_, POLLIN, 0};
      if (::poll(&waiter, 1, 20) <= 0) continue;
      const int fd = ::accept4(listener_, nullptr, nullptr, SOCK_CLOEXEC);
      if (fd < 0) continue;
      sd_bus* bus = nullptr;
      sd_id128_t id;
      sd_bus_new(&bus);
      sd_id128_randomize(&id);
      sd_bus_set_fd(bus, fd, fd);
      sd_bus_set_server(bus, 1, id);
      sd_bus_set_anonymous(bus, 1);
      sd_bus_add_object_vtable(bus, nullptr, object_path_.c_str(), "org.freedesktop.systemd1.Unit",
                               unit_vtable, this);
      sd_bus_add_object_vtable(bus, nullptr, object_path_.c_str(), "org.freedesktop.systemd1.Service",
                               service_vtable, this);
      if (sd_bus_start(bus) >= 0) {
        while (!stop_) {
          const int processed = sd_bus_process(bus, nullptr);
          if (processed < 0) break;  // the client went away
          if (processed == 0) sd_bus_wait(bus, 20'000);
        }
      }
      sd_bus_flush_close_unref(bus);
    }
  }

  std::string socket_path_;
  std::string object_path_;
  int listener_ = -1;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::string load_ = "loaded";
  std::string active_ = "active";
  std::uint32_t main_pid_ = 0;
  std::atomic<int> calls_{0};
  std::thread thread_;
};

}  // namespace balctl::agent::test
