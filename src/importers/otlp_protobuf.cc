#include "importers/otlp_protobuf.h"

#include <cmath>

#include "crypto/encoding.h"
#include "protobuf/wire.h"

namespace oep {
namespace {

using protobuf::Field;
using protobuf::Reader;
using protobuf::WireType;
using Allocator = rapidjson::Document::AllocatorType;

// `s` (an error of the wire reader, "... at byte N") as the error of the field at `at`.
Status In(const std::string& at, const Status& s) {
  return Status::InvalidArgument((at.empty() ? "/" : at) + ": " + s.message());
}

class Decoder {
 public:
  explicit Decoder(Allocator& a) : a_(a) {}

  Status Request(const Reader& r, rapidjson::Value* out);

 private:
  // Calls fn(field) for each field of `r` in order; the first error (the reader's, located
  // at `at`, or fn's) stops the walk.
  template <typename Fn>
  Status Fields(Reader r, const std::string& at, Fn fn) {
    Field f;
    while (true) {
      auto more = r.Next(&f);
      if (!more.ok()) return In(at, more.status());
      if (!*more) return Status::Ok();
      OEP_RETURN_IF_ERROR(fn(r, f));
    }
  }
  Result<Reader> Open(const Reader& r, const Field& f, const std::string& at) {
    auto inner = r.Embedded(f);
    if (!inner.ok()) return In(at, inner.status());
    return inner;
  }
  Status Want(const Field& f, WireType t, const std::string& at) {
    Status s = protobuf::ExpectWireType(f, t);
    return s.ok() ? s : In(at, s);
  }
  Status Count(const Field& f, const std::string& at) {
    if (++values_ <= kMaxOtlpProtobufValues) return Status::Ok();
    return Status::InvalidArgument(at + ": expected at most " + std::to_string(kMaxOtlpProtobufValues) +
                                   " spans, attributes and values in one request at byte " + std::to_string(f.offset));
  }
  Result<rapidjson::Value> Text(const Field& f, const std::string& at) {
    OEP_RETURN_IF_ERROR(Want(f, WireType::kLen, at));
    if (!protobuf::IsValidUtf8(f.bytes)) {
      return Status::InvalidArgument(at + ": expected UTF-8 text (a proto3 string) at byte " + std::to_string(f.offset));
    }
    return rapidjson::Value(f.bytes.data(), static_cast<rapidjson::SizeType>(f.bytes.size()), a_);
  }
  Result<rapidjson::Value> Id(const Field& f, const std::string& at, size_t n, bool may_be_empty) {
    OEP_RETURN_IF_ERROR(Want(f, WireType::kLen, at));
    bool zero = f.bytes.find_first_not_of('\0') == std::string_view::npos;
    if (!(f.bytes.size() == n && !zero) && !(may_be_empty && f.bytes.empty())) {
      return Status::InvalidArgument(at + ": expected " + std::to_string(n) + " bytes, not all zero" +
                                     (may_be_empty ? " (or none)" : "") + ", found " + std::to_string(f.bytes.size()) +
                                     (zero && !f.bytes.empty() ? " zero bytes" : "") + " at byte " +
                                     std::to_string(f.offset));
    }
    return String(crypto::HexEncode(f.bytes));
  }
  rapidjson::Value String(const std::string& s) {
    return rapidjson::Value(s.c_str(), static_cast<rapidjson::SizeType>(s.size()), a_);
  }
  void Set(rapidjson::Value* obj, const char* name, rapidjson::Value v) {
    auto it = obj->FindMember(name);
    if (it != obj->MemberEnd()) it->value = v;
    else obj->AddMember(rapidjson::StringRef(name), v, a_);
  }
  rapidjson::Value& ArrayMember(rapidjson::Value* obj, const char* name) {
    auto it = obj->FindMember(name);
    if (it == obj->MemberEnd()) {
      obj->AddMember(rapidjson::StringRef(name), rapidjson::Value(rapidjson::kArrayType), a_);
      it = obj->FindMember(name);
    }
    return it->value;
  }
  // Decodes the message in `f` with (this->*decode)(reader, at, &value) and appends the
  // value to the array member `name` of `holder` (at: that array's pointer).
  using DecodeFn = Status (Decoder::*)(const Reader&, const std::string&, rapidjson::Value*);
  Status Append(const Reader& r, const Field& f, const std::string& at, rapidjson::Value* holder, const char* name,
                DecodeFn decode, bool counted) {
    std::string item = at + "/" + std::to_string(ArrayMember(holder, name).Size());
    if (counted) OEP_RETURN_IF_ERROR(Count(f, item));
    auto inner = Open(r, f, item);
    if (!inner.ok()) return inner.status();
    rapidjson::Value v;
    OEP_RETURN_IF_ERROR((this->*decode)(*inner, item, &v));
    ArrayMember(holder, name).PushBack(v, a_);
    return Status::Ok();
  }
  // Decodes the message in `f` into the member `name` of `obj` (the last one counts).
  Status Member(const Reader& r, const Field& f, const std::string& at, rapidjson::Value* obj, const char* name,
                DecodeFn decode) {
    auto inner = Open(r, f, at);
    if (!inner.ok()) return inner.status();
    rapidjson::Value v;
    OEP_RETURN_IF_ERROR((this->*decode)(*inner, at, &v));
    Set(obj, name, std::move(v));
    return Status::Ok();
  }

  Status AnyValue(const Reader& r, const std::string& at, rapidjson::Value* out);
  Status ValueList(const Reader& r, const std::string& at, rapidjson::Value* out);    // ArrayValue
  Status KeyValueList(const Reader& r, const std::string& at, rapidjson::Value* out);  // KeyValueList
  Status KeyValue(const Reader& r, const std::string& at, rapidjson::Value* out);
  Status Resource(const Reader& r, const std::string& at, rapidjson::Value* out);
  Status Span(const Reader& r, const std::string& at, rapidjson::Value* out);
  Status SpanStatus(const Reader& r, const std::string& at, rapidjson::Value* out);
  Status ScopeSpans(const Reader& r, const std::string& at, rapidjson::Value* out);
  Status ResourceSpans(const Reader& r, const std::string& at, rapidjson::Value* out);

  Allocator& a_;
  int64_t values_ = 0;
};

Status Decoder::AnyValue(const Reader& r, const std::string& at, rapidjson::Value* out) {
  out->SetObject();
  return Fields(r, at, [&](const Reader& in, const Field& f) -> Status {
    if (f.number < 1 || f.number > 7) return Status::Ok();  // unknown: skipped
    out->RemoveAllMembers();  // a oneof: the last field counts
    switch (f.number) {
      case 1: {
        auto s = Text(f, at + "/stringValue");
        if (!s.ok()) return s.status();
        out->AddMember("stringValue", *s, a_);
        return Status::Ok();
      }
      case 2:
        OEP_RETURN_IF_ERROR(Want(f, WireType::kVarint, at + "/boolValue"));
        out->AddMember("boolValue", f.value != 0, a_);
        return Status::Ok();
      case 3:
        OEP_RETURN_IF_ERROR(Want(f, WireType::kVarint, at + "/intValue"));
        out->AddMember("intValue", String(std::to_string(static_cast<int64_t>(f.value))), a_);
        return Status::Ok();
      case 4: {
        OEP_RETURN_IF_ERROR(Want(f, WireType::kI64, at + "/doubleValue"));
        double d = protobuf::AsDouble(f);
        rapidjson::Value v;
        if (std::isnan(d)) v.SetString(rapidjson::StringRef("NaN"));
        else if (std::isinf(d)) v.SetString(rapidjson::StringRef(d > 0 ? "Infinity" : "-Infinity"));
        else v.SetDouble(d);
        out->AddMember("doubleValue", v, a_);
        return Status::Ok();
      }
      case 5: return Member(in, f, at + "/arrayValue", out, "arrayValue", &Decoder::ValueList);
      case 6: return Member(in, f, at + "/kvlistValue", out, "kvlistValue", &Decoder::KeyValueList);
      default: {  // 7
        OEP_RETURN_IF_ERROR(Want(f, WireType::kLen, at + "/bytesValue"));
        out->AddMember("bytesValue", String(crypto::Base64Encode(f.bytes)), a_);
        return Status::Ok();
      }
    }
  });
}

Status Decoder::ValueList(const Reader& r, const std::string& at, rapidjson::Value* out) {
  out->SetObject();
  ArrayMember(out, "values");
  return Fields(r, at, [&](const Reader& in, const Field& f) {
    return f.number == 1 ? Append(in, f, at + "/values", out, "values", &Decoder::AnyValue, true) : Status::Ok();
  });
}

Status Decoder::KeyValueList(const Reader& r, const std::string& at, rapidjson::Value* out) {
  out->SetObject();
  ArrayMember(out, "values");
  return Fields(r, at, [&](const Reader& in, const Field& f) {
    return f.number == 1 ? Append(in, f, at + "/values", out, "values", &Decoder::KeyValue, true) : Status::Ok();
  });
}

Status Decoder::KeyValue(const Reader& r, const std::string& at, rapidjson::Value* out) {
  out->SetObject();
  OEP_RETURN_IF_ERROR(Fields(r, at, [&](const Reader& in, const Field& f) -> Status {
    if (f.number == 2) return Member(in, f, at + "/value", out, "value", &Decoder::AnyValue);
    if (f.number != 1) return Status::Ok();
    auto key = Text(f, at + "/key");
    if (!key.ok()) return key.status();
    Set(out, "key", std::move(*key));
    return Status::Ok();
  }));
  if (!out->HasMember("key")) Set(out, "key", rapidjson::Value(""));  // proto3: an absent string is ""
  return Status::Ok();
}

Status Decoder::Resource(const Reader& r, const std::string& at, rapidjson::Value* out) {
  out->SetObject();
  ArrayMember(out, "attributes");
  return Fields(r, at, [&](const Reader& in, const Field& f) {
    return f.number == 1 ? Append(in, f, at + "/attributes", out, "attributes", &Decoder::KeyValue, true) : Status::Ok();
  });
}

Status Decoder::SpanStatus(const Reader& r, const std::string& at, rapidjson::Value* out) {
  out->SetObject();
  return Fields(r, at, [&](const Reader&, const Field& f) -> Status {
    if (f.number == 2) {
      auto m = Text(f, at + "/message");
      if (!m.ok()) return m.status();
      Set(out, "message", std::move(*m));
    } else if (f.number == 3) {
      OEP_RETURN_IF_ERROR(Want(f, WireType::kVarint, at + "/code"));
      Set(out, "code", rapidjson::Value(static_cast<int32_t>(f.value)));
    }
    return Status::Ok();
  });
}

Status Decoder::Span(const Reader& r, const std::string& at, rapidjson::Value* out) {
  out->SetObject();
  return Fields(r, at, [&](const Reader& in, const Field& f) -> Status {
    switch (f.number) {
      case 1:
      case 2:
      case 4: {
        const char* name = f.number == 1 ? "traceId" : (f.number == 2 ? "spanId" : "parentSpanId");
        auto id = Id(f, at + "/" + name, f.number == 1 ? 16 : 8, f.number == 4);
        if (!id.ok()) return id.status();
        Set(out, name, std::move(*id));
        return Status::Ok();
      }
      case 5: {
        auto name = Text(f, at + "/name");
        if (!name.ok()) return name.status();
        Set(out, "name", std::move(*name));
        return Status::Ok();
      }
      case 6:
        OEP_RETURN_IF_ERROR(Want(f, WireType::kVarint, at + "/kind"));
        Set(out, "kind", rapidjson::Value(static_cast<int32_t>(f.value)));
        return Status::Ok();
      case 7:
      case 8: {
        const char* name = f.number == 7 ? "startTimeUnixNano" : "endTimeUnixNano";
        OEP_RETURN_IF_ERROR(Want(f, WireType::kI64, at + "/" + name));
        Set(out, name, String(std::to_string(f.value)));
        return Status::Ok();
      }
      case 9: return Append(in, f, at + "/attributes", out, "attributes", &Decoder::KeyValue, true);
      case 15: return Member(in, f, at + "/status", out, "status", &Decoder::SpanStatus);
      default: return Status::Ok();  // trace_state, flags, events, links, dropped counts, unknown: skipped
    }
  });
}

Status Decoder::ScopeSpans(const Reader& r, const std::string& at, rapidjson::Value* out) {
  out->SetObject();
  ArrayMember(out, "spans");
  return Fields(r, at, [&](const Reader& in, const Field& f) {
    return f.number == 2 ? Append(in, f, at + "/spans", out, "spans", &Decoder::Span, true) : Status::Ok();
  });
}

Status Decoder::ResourceSpans(const Reader& r, const std::string& at, rapidjson::Value* out) {
  out->SetObject();
  return Fields(r, at, [&](const Reader& in, const Field& f) -> Status {
    if (f.number == 1) return Member(in, f, at + "/resource", out, "resource", &Decoder::Resource);
    if (f.number == 2) return Append(in, f, at + "/scopeSpans", out, "scopeSpans", &Decoder::ScopeSpans, false);
    return Status::Ok();
  });
}

Status Decoder::Request(const Reader& r, rapidjson::Value* out) {
  out->SetObject();
  ArrayMember(out, "resourceSpans");
  return Fields(r, "", [&](const Reader& in, const Field& f) {
    return f.number == 1 ? Append(in, f, "/resourceSpans", out, "resourceSpans", &Decoder::ResourceSpans, false)
                         : Status::Ok();
  });
}

}  // namespace

Result<rapidjson::Document> OtlpProtobufToJson(std::string_view bytes) {
  rapidjson::Document doc;
  Decoder decoder(doc.GetAllocator());
  protobuf::Limits limits;
  limits.max_depth = kMaxOtlpProtobufDepth;
  OEP_RETURN_IF_ERROR(decoder.Request(Reader(bytes, limits), &doc));
  return doc;
}

}  // namespace oep
