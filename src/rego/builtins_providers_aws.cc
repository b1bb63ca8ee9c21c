// providers.aws.sign_req: AWS Signature Version 4 for an HTTP request object, as OPA signs
// it (method and path as given, the caller's x-amz-content-sha256 value signed while the
// computed one is returned, the session token as a signed x-amz-security-token header).
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <ctime>
#include <map>
#include <string>
#include <vector>

#include "crypto/sha256.h"
#include "rego/builtins.h"

namespace oep::rego {
namespace {

using Args = std::vector<Value>;

void Add(Registry& r, const std::string& name, int arity, BuiltinFn fn) { r[name] = Builtin{arity, std::move(fn)}; }

std::string HmacSha256(const std::string& key, const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
       data.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

// The string members `names` of `obj`: TypeError naming the missing, then the non-string ones.
BuiltinOut RequiredStrings(const Value& obj, int operand, const std::vector<std::string>& names, const std::string& what,
                           std::map<std::string, std::string>* out) {
  std::vector<std::string> missing, invalid;
  for (const auto& n : names) {
    auto v = obj.is_object() ? obj.Get(Value::String(n)) : std::nullopt;
    if (!v) missing.push_back(n);
    else if (!v->is_string()) invalid.push_back(n);
    else (*out)[n] = v->str();
  }
  std::string prefix = "operand " + std::to_string(operand) + " ";
  if (!missing.empty()) return BuiltinOut::TypeError(prefix + "missing required " + what + "(s): " + QuotedNameSet(missing));
  if (!invalid.empty()) return BuiltinOut::TypeError(prefix + "invalid values for required " + what + "(s): " + QuotedNameSet(invalid));
  return BuiltinOut::Of(Value::Null());
}

struct Url {
  std::string host, path, query;
};

Url ParseUrl(const std::string& url) {
  Url u;
  size_t start = url.find("://");
  start = start == std::string::npos ? 0 : start + 3;
  size_t path_at = url.find_first_of("/?#", start);
  u.host = url.substr(start, path_at == std::string::npos ? std::string::npos : path_at - start);
  if (path_at == std::string::npos) return u;
  size_t query_at = url.find_first_of("?#", path_at);
  u.path = url.substr(path_at, query_at == std::string::npos ? std::string::npos : query_at - path_at);
  if (query_at != std::string::npos && url[query_at] == '?') {
    size_t fragment = url.find('#', query_at);
    std::string query = url.substr(query_at + 1, fragment == std::string::npos ? std::string::npos : fragment - query_at - 1);
    std::vector<std::string> params;
    for (size_t s = 0; s <= query.size();) {
      size_t amp = query.find('&', s);
      if (amp == std::string::npos) amp = query.size();
      if (amp > s) params.push_back(query.substr(s, amp - s));
      s = amp + 1;
    }
    std::sort(params.begin(), params.end());
    for (size_t i = 0; i < params.size(); ++i) u.query += (i ? "&" : "") + params[i];
  }
  return u;
}

BuiltinOut SignRequest(const Args& a) {
  if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("providers.aws.sign_req", 1, "object", a[0]));
  if (!a[1].is_object()) return BuiltinOut::TypeError(OperandError("providers.aws.sign_req", 2, "object", a[1]));
  std::map<std::string, std::string> req, cfg;
  if (auto r = RequiredStrings(a[0], 1, {"method", "url"}, "request parameters", &req); r.kind == BuiltinOut::Kind::kError) {
    return r;
  }
  if (auto r = RequiredStrings(a[1], 2, {"aws_access_key", "aws_region", "aws_secret_access_key", "aws_service"},
                               "AWS config parameters", &cfg);
      r.kind == BuiltinOut::Kind::kError) {
    return r;
  }
  bool unsigned_payload = false;
  if (auto d = a[1].Get(Value::String("disable_payload_signing"))) {
    if (!d->is_bool()) return BuiltinOut::TypeError("operand 2 invalid value for 'disable_payload_signing' in AWS config");
    unsigned_payload = d->as_bool();
  }
  std::string token;
  if (auto t = a[1].Get(Value::String("aws_session_token")); t && t->is_string()) token = t->str();
  if (!a[2].is_int() || a[2].as_int() < 0) {
    return BuiltinOut::TypeError("operand 3 could not convert time_ns value into a unix timestamp");
  }
  std::time_t seconds = static_cast<std::time_t>(a[2].as_int() / 1000000000);
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  char amz_date[32], date[16];
  std::strftime(amz_date, sizeof amz_date, "%Y%m%dT%H%M%SZ", &tm);
  std::strftime(date, sizeof date, "%Y%m%d", &tm);

  // The payload: raw_body as given, else body as JSON, else nothing.
  std::string payload_hash = "UNSIGNED-PAYLOAD";
  if (!unsigned_payload) {
    std::string payload;
    if (auto raw = a[0].Get(Value::String("raw_body")); raw && raw->is_string()) payload = raw->str();
    else if (auto body = a[0].Get(Value::String("body"))) payload = body->ToJson();
    payload_hash = crypto::Sha256Hex(payload);
  }
  Url url = ParseUrl(req["url"]);
  // Headers to sign (names lowercased); the returned headers keep the caller's others.
  std::map<std::string, std::string> signed_headers;
  Object out_headers;
  if (auto headers = a[0].Get(Value::String("headers")); headers && headers->is_object()) {
    for (const auto& [k, v] : headers->object()) {
      if (!k.is_string()) continue;
      std::string name = k.str();
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::tolower(c); });
      signed_headers[name] = v.is_string() ? v.str() : v.ToJson();
      out_headers.insert_or_assign(k, v);
    }
  }
  signed_headers["host"] = url.host;
  signed_headers["x-amz-date"] = amz_date;
  signed_headers.try_emplace("x-amz-content-sha256", payload_hash);  // a caller's value is signed as given
  if (!token.empty()) signed_headers["x-amz-security-token"] = token;

  std::string canonical_headers, names;
  for (const auto& [name, value] : signed_headers) {
    canonical_headers += name + ":" + value + "\n";
    names += (names.empty() ? "" : ";") + name;
  }
  std::string canonical_request =
      req["method"] + "\n" + url.path + "\n" + url.query + "\n" + canonical_headers + "\n" + names + "\n" + payload_hash;
  std::string scope = std::string(date) + "/" + cfg["aws_region"] + "/" + cfg["aws_service"] + "/aws4_request";
  std::string to_sign = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + scope + "\n" + crypto::Sha256Hex(canonical_request);
  std::string key = HmacSha256("AWS4" + cfg["aws_secret_access_key"], date);
  key = HmacSha256(key, cfg["aws_region"]);
  key = HmacSha256(key, cfg["aws_service"]);
  key = HmacSha256(key, "aws4_request");
  std::string signature = HexEncode(HmacSha256(key, to_sign));

  out_headers.insert_or_assign(Value::String("Authorization"),
                               Value::String("AWS4-HMAC-SHA256 Credential=" + cfg["aws_access_key"] + "/" + scope +
                                             ",SignedHeaders=" + names + ",Signature=" + signature));
  out_headers.insert_or_assign(Value::String("host"), Value::String(url.host));
  out_headers.insert_or_assign(Value::String("x-amz-date"), Value::String(amz_date));
  out_headers.insert_or_assign(Value::String("x-amz-content-sha256"), Value::String(payload_hash));
  if (!token.empty()) out_headers.insert_or_assign(Value::String("x-amz-security-token"), Value::String(token));
  Object signed_req = a[0].object();
  signed_req.insert_or_assign(Value::String("headers"), Value::MakeObject(std::move(out_headers)));
  return BuiltinOut::Of(Value::MakeObject(std::move(signed_req)));
}

}  // namespace

void RegisterAwsBuiltins(Registry& r) { Add(r, "providers.aws.sign_req", 3, SignRequest); }

}  // namespace oep::rego
