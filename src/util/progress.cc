#include "util/progress.h"

#include <unistd.h>

#include <cstdio>

namespace oep {
namespace {

std::string Grouped(int64_t n) {
  std::string digits = std::to_string(n), out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i && (digits.size() - i) % 3 == 0 && digits[i - 1] != '-') out += ',';
    out += digits[i];
  }
  return out;
}

std::string Duration(double seconds) {
  auto s = static_cast<int64_t>(seconds + 0.5);
  if (s < 60) return std::to_string(s) + "s";
  if (s < 3600) return std::to_string(s / 60) + "m" + std::to_string(s % 60) + "s";
  return std::to_string(s / 3600) + "h" + std::to_string(s / 60 % 60) + "m";
}

}  // namespace

std::string FormatProgress(std::string_view what, std::string_view unit, int64_t done, int64_t total,
                           double elapsed_seconds) {
  std::string out = std::string(what) + ": " + Grouped(done);
  if (total > 0) out += "/" + Grouped(total);
  out += " " + std::string(unit);
  if (total > 0) out += " (" + std::to_string(done * 100 / total) + "%)";
  if (elapsed_seconds > 0 && done > 0) {
    double rate = done / elapsed_seconds;
    out += ", " + Grouped(static_cast<int64_t>(rate)) + "/s";
    if (total > done) out += ", " + Duration((total - done) / rate) + " left";
  }
  return out;
}

Progress::Progress(int fd, std::string what, std::string unit, int64_t total)
    : fd_(fd),
      enabled_(::isatty(fd) == 1),
      what_(std::move(what)),
      unit_(std::move(unit)),
      total_(total),
      start_(std::chrono::steady_clock::now()),
      last_draw_(start_) {}

Progress::~Progress() { Finish(); }

void Progress::Update(int64_t done) {
  done_ = done;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (drawn_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  Draw();
}

void Progress::Draw() {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  // \r and clear-to-end-of-line: the line is redrawn in place.
  std::string line = "\r" + FormatProgress(what_, unit_, done_, total_, elapsed) + "\x1b[K";
  if (::write(fd_, line.data(), line.size()) < 0) enabled_ = false;
  drawn_ = true;
}

void Progress::Finish() {
  if (finished_) return;
  finished_ = true;
  if (!enabled_ || !drawn_) return;
  Draw();
  if (::write(fd_, "\n", 1) < 0) enabled_ = false;
}

}  // namespace oep
