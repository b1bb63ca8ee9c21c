// Progress of a long operation, for people: "done/total, rate, time left" redrawn on one
// line of a terminal, and nothing at all when the stream is not a terminal (a pipe, a
// file, CI logs), so output that is read by programs never carries it.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace oep {

// "impact: 4,500/10,002 decisions (45%), 52,100/s, 1s left"; without a total (0)
// "impact: 4,500 decisions, 52,100/s".
std::string FormatProgress(std::string_view what, std::string_view unit, int64_t done, int64_t total,
                           double elapsed_seconds);

class Progress {
 public:
  // Reports on file descriptor `fd` when it is a terminal; `total` 0 when unknown.
  Progress(int fd, std::string what, std::string unit, int64_t total);
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  bool enabled() const { return enabled_; }
  // For an operation that learns its total once it has started.
  void SetTotal(int64_t total) { total_ = total; }
  // Redraws at most ten times a second.
  void Update(int64_t done);
  // Draws the last figures and ends the line (once; the destructor calls it).
  void Finish();

 private:
  void Draw();
  int fd_;
  bool enabled_;
  std::string what_, unit_;
  int64_t total_, done_ = 0;
  bool finished_ = false, drawn_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace oep
