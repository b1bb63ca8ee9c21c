// Overlaps reading with hashing: items are buffered in chunks; while the reader fills the
// next chunk, two workers hash the previous one; checks then run on the reader's thread
// in input order.
#pragma once

#include <functional>
#include <future>
#include <utility>
#include <vector>

namespace oep {

template <typename Item>
class HashPipeline {
 public:
  static constexpr size_t kChunk = 4096;

  // `hash` runs on worker threads and may only touch its item; `check` runs in order.
  HashPipeline(std::function<void(Item&)> hash, std::function<void(Item&)> check)
      : hash_(std::move(hash)), check_(std::move(check)) {}
  ~HashPipeline() { Finish(); }

  void Push(Item item) {
    filling_.push_back(std::move(item));
    if (filling_.size() == kChunk) Launch();
  }

  // Hashes and checks everything pushed so far.
  void Finish() {
    Launch();
    Drain();
  }

 private:
  void Launch() {
    Drain();
    if (filling_.empty()) return;
    in_flight_ = std::move(filling_);
    filling_.clear();
    size_t mid = in_flight_.size() / 2;
    auto run = [this](size_t begin, size_t end) {
      for (size_t i = begin; i < end; ++i) hash_(in_flight_[i]);
    };
    workers_[0] = std::async(std::launch::async, run, 0, mid);
    workers_[1] = std::async(std::launch::async, run, mid, in_flight_.size());
    pending_ = true;
  }

  void Drain() {
    if (!pending_) return;
    workers_[0].get();
    workers_[1].get();
    pending_ = false;
    for (auto& item : in_flight_) check_(item);
    in_flight_.clear();
  }

  std::function<void(Item&)> hash_, check_;
  std::vector<Item> filling_, in_flight_;
  std::future<void> workers_[2];
  bool pending_ = false;
};

}  // namespace oep
