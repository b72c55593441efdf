// The two threads of every measured kernel flow (bulk TCP, constant-rate UDP): a receiver in
// one namespace that signals once it listens, and a sender in the other that starts only
// after that. An exception in either thread is the flow's failure (the first one is kept) and
// also releases a sender still waiting for the receiver.
#pragma once

#include "kernel_flows.h"

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>

namespace tunnelsim::emulate {

class SenderReceiverFlow : public KernelFlow {
public:
  explicit SenderReceiverFlow(std::string id) : id_(std::move(id)) {}

  void Start() override {
    receiver_ = std::thread([this] { Guard([this] { Receive(); }); });
    sender_ = std::thread([this] { Guard([this] { Send(); }); });
  }
  void RequestStop() override { stop_ = true; }
  void Join() override {
    if (receiver_.joinable()) receiver_.join();
    if (sender_.joinable()) sender_.join();
  }
  std::string Failure() const override {
    std::lock_guard<std::mutex> lock(failureMutex_);
    return failure_;
  }

protected:
  // The threads run the derived class's members, so its destructor must stop and join them
  // before its members go away.
  void StopAndJoin() {
    RequestStop();
    Join();
  }

  virtual void Receive() = 0;
  virtual void Send() = 0;

  // Called by Receive once its socket is bound (and listening).
  void SignalListening() {
    std::call_once(listeningOnce_, [this] { listening_.set_value(); });
  }
  // Called by Send first: true when the receiver listens, false when it failed; throws when it
  // has not started within 10 s.
  bool WaitForReceiver() {
    if (listeningFuture_.wait_for(std::chrono::seconds(10)) != std::future_status::ready)
      throw std::runtime_error("the receiver did not start listening");
    return Failure().empty();
  }

  const std::string id_;
  std::atomic<bool> stop_{false};

private:
  template <typename Body> void Guard(Body body) {
    try {
      body();
    } catch (const std::exception &error) {
      {
        std::lock_guard<std::mutex> lock(failureMutex_);
        if (failure_.empty()) failure_ = id_ + ": " + error.what();
      }
      SignalListening();
    }
  }

  std::thread receiver_, sender_;
  std::promise<void> listening_;
  std::shared_future<void> listeningFuture_ = listening_.get_future().share();
  std::once_flag listeningOnce_;
  mutable std::mutex failureMutex_;
  std::string failure_;
};

} // namespace tunnelsim::emulate
