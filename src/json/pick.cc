#include "json/pick.h"

#include <rapidjson/reader.h>

namespace oep::json {
namespace {

// SAX handler keeping the dotted path of the value being read; "\x01" marks an array level,
// which no wanted path crosses.
class Picker : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Picker> {
 public:
  Picker(const std::vector<std::string>& paths, std::vector<Picked>* out) : paths_(paths), out_(out) {}

  bool Null() { return Scalar(nullptr, nullptr); }
  bool Bool(bool) { return Scalar(nullptr, nullptr); }
  bool Int(int i) { return Number(i); }
  bool Uint(unsigned u) { return Number(u); }
  bool Int64(int64_t i) { return Number(static_cast<double>(i)); }
  bool Uint64(uint64_t u) { return Number(static_cast<double>(u)); }
  bool Double(double d) { return Number(d); }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    std::string_view v(s, n);
    return Scalar(&v, nullptr);
  }
  bool StartObject() { return Open(false); }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    path_.resize(levels_.back().base);
    if (levels_.back().base > 0) path_ += '.';
    path_.append(s, n);
    return true;
  }
  bool EndObject(rapidjson::SizeType) { return Close(); }
  bool StartArray() { return Open(true); }
  bool EndArray(rapidjson::SizeType) { return Close(); }

 private:
  struct Level {
    size_t base;  // path length of the container
    bool array;
  };
  bool Open(bool array) {
    if (!levels_.empty()) {
      Scalar(nullptr, nullptr);  // a container at a wanted path is found, with neither flag
      if (levels_.back().array) path_ += '\x01';
    }
    levels_.push_back({path_.size(), array});
    return true;
  }
  bool Close() {
    size_t base = levels_.back().base;
    levels_.pop_back();
    if (!levels_.empty() && levels_.back().array) --base;  // the '\x01' Open appended
    path_.resize(base);
    return true;
  }
  bool Number(double d) { return Scalar(nullptr, &d); }
  bool Scalar(const std::string_view* s, const double* d) {
    if (levels_.empty() || levels_.back().array) return true;
    for (size_t i = 0; i < paths_.size(); ++i) {
      if (paths_[i] != path_) continue;
      Picked& p = (*out_)[i];
      p.found = true;
      p.is_string = s != nullptr;
      p.is_number = d != nullptr;
      if (s) p.text.assign(s->data(), s->size());
      if (d) p.number = *d;
    }
    return true;
  }

  const std::vector<std::string>& paths_;
  std::vector<Picked>* out_;
  std::string path_;
  std::vector<Level> levels_;
};

}  // namespace

bool PickFields(std::string_view text, const std::vector<std::string>& paths, std::vector<Picked>* out) {
  out->assign(paths.size(), Picked());
  Picker picker(paths, out);
  rapidjson::Reader reader;
  rapidjson::MemoryStream ms(text.data(), text.size());
  rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream> is(ms);
  // Iterative: a deeply nested text costs heap for the path, never the stack.
  return !reader.Parse<rapidjson::kParseIterativeFlag>(is, picker).IsError();
}

}  // namespace oep::json
