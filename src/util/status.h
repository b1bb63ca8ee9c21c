// One error model for the code base: Status for operations without a value,
// Result<T> for operations that produce one. No exception crosses a module's
// public header; SQLite and RapidJSON failures are turned into a Status at the edge.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace oep {

enum class StatusCode {
  kOk,
  kInvalidArgument,  // bad input: the caller can fix it (exit code 2)
  kNotFound,         // a named thing does not exist (exit code 1)
  kCorruption,       // stored evidence fails a check (exit code 1)
  kIOError,          // file system or database failure (exit code 2)
  kConflict,         // valid input that conflicts with stored state (exit code 2; HTTP 409)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) { return Status(StatusCode::kInvalidArgument, std::move(msg)); }
  static Status NotFound(std::string msg) { return Status(StatusCode::kNotFound, std::move(msg)); }
  static Status Corruption(std::string msg) { return Status(StatusCode::kCorruption, std::move(msg)); }
  static Status IOError(std::string msg) { return Status(StatusCode::kIOError, std::move(msg)); }
  static Status Conflict(std::string msg) { return Status(StatusCode::kConflict, std::move(msg)); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // Exit code a CLI verb returns for this status.
  int exit_code() const {
    switch (code_) {
      case StatusCode::kOk: return 0;
      case StatusCode::kNotFound:
      case StatusCode::kCorruption: return 1;
      default: return 2;
    }
  }
  // Prefixes the message with context ("file.json: ..."), keeping the code.
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Status(StatusCode code, std::string msg) : code_(code), message_(std::move(msg)) {}
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: must not be ok
  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() { return *value_; }
  const T& value() const { return *value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace oep

#define OEP_RETURN_IF_ERROR(expr)          \
  do {                                     \
    ::oep::Status oep_status_ = (expr);    \
    if (!oep_status_.ok()) return oep_status_; \
  } while (0)
