// OTLP's binary protobuf encoding of an ExportTraceServiceRequest (POST /v1/traces with
// Content-Type application/x-protobuf; `oep import otlp` of a binary file) read into the
// OTLP/JSON document that importers/otlp.h imports, so both encodings of the same spans
// store the same records. Field numbers are those of opentelemetry-proto
// (collector/trace/v1/trace_service.proto, trace/v1/trace.proto, common/v1/common.proto,
// resource/v1/resource.proto):
//   ExportTraceServiceRequest  1 resource_spans (repeated ResourceSpans)
//   ResourceSpans              1 resource (Resource), 2 scope_spans (repeated ScopeSpans)
//   Resource                   1 attributes (repeated KeyValue)
//   ScopeSpans                 2 spans (repeated Span)           (1 scope: not read)
//   Span                       1 trace_id (16 bytes), 2 span_id (8 bytes), 4 parent_span_id
//                              (0 or 8 bytes), 5 name, 6 kind (enum), 7 start_time_unix_nano
//                              and 8 end_time_unix_nano (fixed64), 9 attributes, 15 status
//   Status                     2 message, 3 code (enum)
//   KeyValue                   1 key, 2 value (AnyValue)
//   AnyValue (oneof)           1 string, 2 bool, 3 int64, 4 double, 5 array_value
//                              (ArrayValue: 1 values), 6 kvlist_value (KeyValueList: 1
//                              values), 7 bytes
// The JSON produced is OTLP/JSON's: ids as lowercase hex, times and int64 as decimal
// strings, enums as numbers, bytes as base64, a non-finite double as "NaN" / "Infinity" /
// "-Infinity"; a field absent from the wire is absent from the JSON. Other fields (scope,
// events, links, trace state, flags, dropped counts) and unknown fields are skipped. Of a
// singular field given twice, the last counts.
#pragma once

#include <string_view>

#include <rapidjson/document.h>

#include "util/status.h"

namespace oep {

// Messages nested deeper than this (the request is depth 0) are refused: attribute values
// nest (arrays of arrays), and every later walk over the document recurses over them.
inline constexpr int kMaxOtlpProtobufDepth = 64;
// At most this many spans, attributes and values in one request: bounds the document a
// request expands to (a few bytes of protobuf per value).
inline constexpr int64_t kMaxOtlpProtobufValues = int64_t{1} << 19;

// InvalidArgument "<JSON pointer of the field>: <what was wrong> at byte N" (N from the
// start of `bytes`) for malformed wire data, an id of the wrong length, a string that is
// not UTF-8, a wrong wire type for a known field, or a passed limit.
Result<rapidjson::Document> OtlpProtobufToJson(std::string_view bytes);

}  // namespace oep
