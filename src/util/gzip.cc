#include "util/gzip.h"

#include <zlib.h>

#include "util/files.h"

namespace oep {
namespace {

std::string MiB(size_t bytes) {
  return bytes % (1u << 20) == 0 ? std::to_string(bytes >> 20) + " MiB" : std::to_string(bytes) + " bytes";
}

// Appends text to `out` while checking InputLimits, record by record (see ReadBoundedText).
class BoundedText {
 public:
  BoundedText(const std::string& what, const InputLimits& limits, std::string& out)
      : what_(what), limits_(limits), out_(out) {}

  Status Append(std::string_view chunk) {
    if (chunk.size() > limits_.max_total_bytes - out_.size()) {
      return Status::InvalidArgument(what_ + ": text is longer than " + MiB(limits_.max_total_bytes) +
                                     " (the limit on a whole input); refused before reading further");
    }
    for (size_t i = 0; i < chunk.size(); ++i) {
      if (mode_ == Mode::kLines) {  // the common case, a line at a time
        size_t nl = chunk.find('\n', i);
        size_t len = (nl == std::string_view::npos ? chunk.size() : nl) - i;
        if (len > limits_.max_record_bytes - record_) {
          offset_ += limits_.max_record_bytes - record_ + 1;
          return TooLong();
        }
        record_ += len;
        offset_ += len;
        if (nl == std::string_view::npos) break;
        i = nl;
      }
      if (!Frame(chunk[i])) return TooLong();
    }
    out_.append(chunk);
    return Status::Ok();
  }

 private:
  enum class Mode { kUnknown, kLines, kArray };

  // Follows one byte; false when the current record has passed max_record_bytes.
  bool Frame(char c) {
    ++offset_;
    if (mode_ == Mode::kUnknown && c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      mode_ = c == '[' ? Mode::kArray : Mode::kLines;
      if (mode_ == Mode::kArray) {
        depth_ = 1;
        record_ = 0;
        return true;
      }
    }
    if (mode_ != Mode::kArray) {
      if (c != '\n') return ++record_ <= limits_.max_record_bytes;
      ++line_;
      record_ = 0;
      return true;
    }
    if (in_string_) {
      if (escaped_) escaped_ = false;
      else if (c == '\\') escaped_ = true;
      else if (c == '"') in_string_ = false;
    } else if (c == '"') {
      in_string_ = true;
    } else if (c == '[' || c == '{') {
      ++depth_;
    } else if ((c == ']' || c == '}') && depth_ > 0) {
      --depth_;
    } else if (c == ',' && depth_ == 1) {
      ++element_;
      record_ = 0;
      return true;
    }
    return ++record_ <= limits_.max_record_bytes;
  }

  Status TooLong() const {
    std::string where = mode_ == Mode::kArray ? "array element /" + std::to_string(element_) : "line " + std::to_string(line_);
    return Status::InvalidArgument(what_ + ": " + where + " is longer than " + MiB(limits_.max_record_bytes) +
                                   " (the limit on one record); refused at byte " + std::to_string(offset_));
  }

  const std::string& what_;
  const InputLimits& limits_;
  std::string& out_;
  Mode mode_ = Mode::kUnknown;
  size_t offset_ = 0, record_ = 0, line_ = 1, element_ = 0;
  int64_t depth_ = 0;
  bool in_string_ = false, escaped_ = false;
};

// Inflates gzip members fed in chunks, giving the output to `sink` 64 KiB at a time.
class Gunzipper {
 public:
  explicit Gunzipper(const std::string& what) : what_(what) { ok_ = inflateInit2(&z_, 16 + MAX_WBITS) == Z_OK; }
  ~Gunzipper() { inflateEnd(&z_); }
  Gunzipper(const Gunzipper&) = delete;
  Gunzipper& operator=(const Gunzipper&) = delete;

  template <typename Sink>
  Status Feed(std::string_view in, Sink& sink) {
    if (!ok_) return Status::IOError(what_ + ": cannot start gzip decompression");
    z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
    z_.avail_in = static_cast<uInt>(in.size());
    bool pending = false;  // the last call filled the output buffer: more may be waiting
    for (;;) {
      if (ended_ && z_.avail_in > 0) {  // another member follows (concatenated gzip files)
        if (inflateReset(&z_) != Z_OK) return Corrupt();
        ended_ = false;
      }
      if (ended_ || (z_.avail_in == 0 && !pending)) break;
      char buf[1 << 16];
      z_.next_out = reinterpret_cast<Bytef*>(buf);
      z_.avail_out = sizeof buf;
      int rc = inflate(&z_, Z_NO_FLUSH);
      if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) return Corrupt();
      pending = z_.avail_out == 0;
      OEP_RETURN_IF_ERROR(sink(std::string_view(buf, sizeof buf - z_.avail_out)));
      if (rc == Z_STREAM_END) ended_ = true;
    }
    return Status::Ok();
  }

  Status Finish() { return ended_ ? Status::Ok() : Corrupt(); }

 private:
  Status Corrupt() {
    std::string why = z_.msg ? z_.msg : "the data ends inside a member";
    return Status::InvalidArgument(what_ + ": not a complete gzip stream (zlib: " + why + ")");
  }

  const std::string& what_;
  z_stream z_{};
  bool ok_ = false, ended_ = false;
};

}  // namespace

bool IsGzip(std::string_view bytes) {
  return bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f && static_cast<unsigned char>(bytes[1]) == 0x8b;
}

Result<std::string> ReadBoundedText(const std::string& path, const InputLimits& limits) {
  std::string out;
  BoundedText text(path, limits, out);
  auto append = [&](std::string_view chunk) { return text.Append(chunk); };
  Gunzipper gunzip(path);
  enum class Format { kUnknown, kPlain, kGzip } format = Format::kUnknown;
  std::string head;  // the first bytes, until the format is known
  auto feed = [&](std::string_view chunk) -> Status {
    if (format == Format::kUnknown) {
      head.append(chunk);
      if (head.size() < 2) return Status::Ok();
      format = IsGzip(head) ? Format::kGzip : Format::kPlain;
      chunk = head;
    }
    return format == Format::kGzip ? gunzip.Feed(chunk, append) : append(chunk);
  };
  OEP_RETURN_IF_ERROR(ReadFileChunks(path, feed));
  if (format == Format::kUnknown) OEP_RETURN_IF_ERROR(append(head));  // shorter than the magic number
  if (format == Format::kGzip) OEP_RETURN_IF_ERROR(gunzip.Finish());
  return out;
}

Result<std::string> GunzipBounded(std::string_view bytes, const std::string& what, size_t max_bytes) {
  std::string out;
  Gunzipper gunzip(what);
  auto append = [&](std::string_view chunk) -> Status {
    if (out.size() + chunk.size() > max_bytes) {
      return Status::InvalidArgument(what + ": expected at most " + std::to_string(max_bytes) +
                                     " bytes once decompressed; refused at that point");
    }
    out.append(chunk);
    return Status::Ok();
  };
  OEP_RETURN_IF_ERROR(gunzip.Feed(bytes, append));
  OEP_RETURN_IF_ERROR(gunzip.Finish());
  return out;
}

}  // namespace oep
