// http.send outside replay: the request is checked as OPA checks it, then refused — oep
// evaluates without network access. During replay the evaluator answers http.send from the
// decision's recorded nd_builtin_cache before this is reached.
#include <set>
#include <string>
#include <vector>

#include "rego/builtins.h"

namespace oep::rego {

void RegisterHttpBuiltins(Registry& r) {
  r["http.send"] = Builtin{1, [](const std::vector<Value>& a) {
    if (!a[0].is_object()) return BuiltinOut::TypeError(OperandError("http.send", 1, "object", a[0]));
    static const std::set<std::string> kKeys = {
        "method", "url", "body", "enable_redirect", "force_json_decode", "force_yaml_decode", "headers", "raw_body",
        "tls_use_system_certs", "tls_ca_cert", "tls_ca_cert_file", "tls_ca_cert_env_variable", "tls_client_cert",
        "tls_client_cert_file", "tls_client_cert_env_variable", "tls_client_key", "tls_client_key_file",
        "tls_client_key_env_variable", "tls_insecure_skip_verify", "tls_server_name", "timeout", "cache",
        "force_cache", "force_cache_duration_seconds", "raise_error", "caching_mode", "max_retry_attempts",
        "cache_ignored_headers"};
    std::vector<std::string> invalid, missing;
    for (const auto& [k, v] : a[0].object()) {
      if (!k.is_string() || !kKeys.count(k.str())) invalid.push_back(k.is_string() ? k.str() : k.ToJson());
    }
    if (!invalid.empty()) return BuiltinOut::TypeError("invalid request parameters(s): " + QuotedNameSet(invalid));
    for (const char* required : {"method", "url"}) {
      if (!a[0].Get(Value::String(required))) missing.emplace_back(required);
    }
    if (!missing.empty()) return BuiltinOut::TypeError("missing required request parameters(s): " + QuotedNameSet(missing));
    return BuiltinOut::Error(
        "network access is disabled: oep evaluates policies without network; a replay answers http.send only from "
        "the decision's recorded nd_builtin_cache");
  }};
}

}  // namespace oep::rego
