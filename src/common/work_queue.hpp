// A few worker threads running submitted tasks in order of arrival. Used for work that blocks (DNS
// updates, TCP probes, alert delivery) so it never runs on an I/O thread. stop() runs what is queued,
// then joins.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace balctl {

class WorkQueue {
 public:
  WorkQueue(std::size_t threads, std::size_t max_queued);
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // False when the queue is full or stopping; the task is then not run.
  bool submit(std::function<void()> task);
  void stop();

 private:
  void run();

  const std::size_t max_queued_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace balctl
