#include "rego/builtin_signatures.h"

#include <map>
#include <string>

namespace oep::rego {
namespace {

// name, "argument types => result type", in the notation of rego/types.h. Declarations
// follow OPA's; where OPA's declaration is more detailed than this notation carries
// (optional object members), the type here is the looser one, so no call OPA accepts is
// refused.
constexpr std::pair<const char*, const char*> kDeclarations[] = {
    // unification and assignment, answered by the evaluator
    {"eq", "any, any => boolean"},
    {"assign", "any, any => boolean"},
    {"internal.template_string", "array[any] => string"},
    // comparison and arithmetic (operators by their built-in names)
    {"equal", "any, any => boolean"},
    {"neq", "any, any => boolean"},
    {"gt", "any, any => boolean"},
    {"gte", "any, any => boolean"},
    {"lt", "any, any => boolean"},
    {"lte", "any, any => boolean"},
    {"plus", "number, number => number"},
    {"minus", "any<number, set[any]>, any<number, set[any]> => any<number, set[any]>"},
    {"mul", "number, number => number"},
    {"div", "number, number => number"},
    {"rem", "number, number => number"},
    {"abs", "number => number"},
    {"ceil", "number => number"},
    {"floor", "number => number"},
    {"round", "number => number"},
    {"numbers.range", "number, number => array[number]"},
    {"numbers.range_step", "number, number, number => array[number]"},
    {"and", "set[any], set[any] => set[any]"},
    {"or", "set[any], set[any] => set[any]"},
    {"intersection", "set[set[any]] => set[any]"},
    {"union", "set[set[any]] => set[any]"},
    // aggregates
    {"count", "any<string, array[any], object[any: any], set[any]> => number"},
    {"sum", "any<array[number], set[number]> => number"},
    {"product", "any<array[number], set[number]> => number"},
    {"max", "any<array[any], set[any]> => any"},
    {"min", "any<array[any], set[any]> => any"},
    {"sort", "any<array[any], set[any]> => array[any]"},
    {"all", "any<array[any], set[any]> => boolean"},
    {"any", "any<array[any], set[any]> => boolean"},
    // arrays and objects
    {"array.concat", "array[any], array[any] => array[any]"},
    {"array.flatten", "array[any] => array[any]"},
    {"array.reverse", "array[any] => array[any]"},
    {"array.slice", "array[any], number, number => array[any]"},
    {"object.filter", "object[any: any], any<array[any], object[any: any], set[any]> => any"},
    {"object.remove", "object[any: any], any<array[any], object[any: any], set[any]> => any"},
    {"object.get", "object[any: any], any, any => any"},
    {"object.keys", "object[any: any] => set[any]"},
    {"object.subset", "any<array[any], object[any: any], set[any]>, any<array[any], object[any: any], set[any]> => any"},
    {"object.union", "object[any: any], object[any: any] => any"},
    {"object.union_n", "array[object[any: any]] => any"},
    {"internal.member_2", "any, any => boolean"},
    {"internal.member_3", "any, any, any => boolean"},
    {"walk", "any => array<array[any], any>"},
    // strings
    {"concat", "string, any<array[string], set[string]> => string"},
    {"contains", "string, string => boolean"},
    {"startswith", "string, string => boolean"},
    {"endswith", "string, string => boolean"},
    {"format_int", "number, number => string"},
    {"indexof", "string, string => number"},
    {"indexof_n", "string, string => array[number]"},
    {"lower", "string => string"},
    {"upper", "string => string"},
    {"replace", "string, string, string => string"},
    {"split", "string, string => array[string]"},
    {"strings.split_n", "string, string, number => array[string]"},
    {"sprintf", "string, array[any] => string"},
    {"substring", "string, number, number => string"},
    {"trim", "string, string => string"},
    {"trim_left", "string, string => string"},
    {"trim_prefix", "string, string => string"},
    {"trim_right", "string, string => string"},
    {"trim_suffix", "string, string => string"},
    {"trim_space", "string => string"},
    {"strings.any_prefix_match", "any<string, array[string], set[string]>, any<string, array[string], set[string]> => boolean"},
    {"strings.any_suffix_match", "any<string, array[string], set[string]>, any<string, array[string], set[string]> => boolean"},
    {"strings.count", "string, string => number"},
    {"strings.render_template", "string, object[string: any] => string"},
    {"strings.replace_n", "object[string: string], string => string"},
    {"strings.reverse", "string => string"},
    {"to_number", "any<null, boolean, number, string> => number"},
    {"units.parse", "string => number"},
    {"units.parse_bytes", "string => number"},
    // types
    {"is_array", "any => boolean"},
    {"is_boolean", "any => boolean"},
    {"is_null", "any => boolean"},
    {"is_number", "any => boolean"},
    {"is_object", "any => boolean"},
    {"is_set", "any => boolean"},
    {"is_string", "any => boolean"},
    {"type_name", "any => string"},
    // regular expressions and globs
    {"re_match", "string, string => boolean"},
    {"regex.match", "string, string => boolean"},
    {"regex.is_valid", "string => boolean"},
    {"regex.find_n", "string, string, number => array[string]"},
    {"regex.find_all_string_submatch_n", "string, string, number => array[array[string]]"},
    {"regex.replace", "string, string, string => string"},
    {"regex.split", "string, string => array[string]"},
    {"regex.template_match", "string, string, string, string => boolean"},
    {"regex.globs_match", "string, string => boolean"},
    {"glob.match", "string, any<null, array[string]>, string => boolean"},
    {"glob.quote_meta", "string => string"},
    // encodings
    {"base64.decode", "string => string"},
    {"base64.encode", "string => string"},
    {"base64.is_valid", "string => boolean"},
    {"base64url.decode", "string => string"},
    {"base64url.encode", "string => string"},
    {"base64url.encode_no_pad", "string => string"},
    {"hex.decode", "string => string"},
    {"hex.encode", "string => string"},
    {"urlquery.decode", "string => string"},
    {"urlquery.encode", "string => string"},
    {"urlquery.encode_object", "object[string: any<string, array[string], set[string]>] => string"},
    {"urlquery.decode_object", "string => object[string: array[string]]"},
    {"uri.parse", "string => object[string: string]"},
    {"uri.is_valid", "string => boolean"},
    {"graphql.parse_query", "string => object[any: any]"},
    {"graphql.parse_schema", "string => object[any: any]"},
    {"graphql.schema_is_valid", "any<string, object[any: any]> => boolean"},
    {"graphql.is_valid", "any<string, object[any: any]>, any<string, object[any: any]> => boolean"},
    {"graphql.parse_and_verify", "any<string, object[any: any]>, any<string, object[any: any]> => array<boolean, object[any: any], object[any: any]>"},
    {"graphql.parse", "any<string, object[any: any]>, any<string, object[any: any]> => array<object[any: any], object[any: any]>"},
    {"yaml.marshal", "any => string"},
    {"yaml.unmarshal", "string => any"},
    {"yaml.is_valid", "string => boolean"},
    {"json.marshal", "any => string"},
    {"json.marshal_with_options", "any, object[string: any] => string"},
    {"json.unmarshal", "string => any"},
    {"json.is_valid", "string => boolean"},
    {"json.filter", "object[any: any], any<array[any<string, array[any]>], set[any<string, array[any]>]> => any"},
    {"json.remove", "object[any: any], any<array[any<string, array[any]>], set[any<string, array[any]>]> => any"},
    {"json.patch", "any, array[object[any: any]] => any"},
    {"json.verify_schema", "any<string, object[any: any]> => array<boolean, any<null, string>>"},
    {"json.match_schema", "any<string, object[any: any]>, any<string, object[any: any]> => array<boolean, array[object[any: any]]>"},
    // bits
    {"bits.and", "number, number => number"},
    {"bits.or", "number, number => number"},
    {"bits.xor", "number, number => number"},
    {"bits.negate", "number => number"},
    {"bits.lsh", "number, number => number"},
    {"bits.rsh", "number, number => number"},
    // crypto and tokens
    {"crypto.md5", "string => string"},
    {"crypto.sha1", "string => string"},
    {"crypto.sha256", "string => string"},
    {"crypto.hmac.md5", "string, string => string"},
    {"crypto.hmac.sha1", "string, string => string"},
    {"crypto.hmac.sha256", "string, string => string"},
    {"crypto.hmac.sha512", "string, string => string"},
    {"crypto.hmac.equal", "string, string => boolean"},
    {"crypto.x509.parse_certificates", "string => array[object[string: any]]"},
    {"crypto.x509.parse_and_verify_certificates", "string => array<boolean, array[object[string: any]]>"},
    {"crypto.x509.parse_and_verify_certificates_with_options", "string, object[string: any] => array<boolean, array[object[string: any]]>"},
    {"crypto.x509.parse_certificate_request", "string => object[string: any]"},
    {"crypto.x509.parse_keypair", "string, string => object[string: any]"},
    {"crypto.x509.parse_rsa_private_key", "string => object[string: any]"},
    {"crypto.parse_private_keys", "string => array[object[string: any]]"},
    {"io.jwt.decode", "string => array<object[any: any], object[any: any], string>"},
    {"io.jwt.decode_verify", "string, object[string: any] => array<boolean, object[any: any], object[any: any]>"},
    {"io.jwt.encode_sign", "object[string: any], object[string: any], object[string: any] => string"},
    {"io.jwt.encode_sign_raw", "string, string, string => string"},
    {"io.jwt.verify_eddsa", "string, string => boolean"},
    {"io.jwt.verify_es256", "string, string => boolean"},
    {"io.jwt.verify_es384", "string, string => boolean"},
    {"io.jwt.verify_es512", "string, string => boolean"},
    {"io.jwt.verify_hs256", "string, string => boolean"},
    {"io.jwt.verify_hs384", "string, string => boolean"},
    {"io.jwt.verify_hs512", "string, string => boolean"},
    {"io.jwt.verify_ps256", "string, string => boolean"},
    {"io.jwt.verify_ps384", "string, string => boolean"},
    {"io.jwt.verify_ps512", "string, string => boolean"},
    {"io.jwt.verify_rs256", "string, string => boolean"},
    {"io.jwt.verify_rs384", "string, string => boolean"},
    {"io.jwt.verify_rs512", "string, string => boolean"},
    // networks, graphs, versions, identifiers
    {"net.cidr_contains", "string, string => boolean"},
    {"net.cidr_intersects", "string, string => boolean"},
    {"net.cidr_is_valid", "string => boolean"},
    {"net.cidr_expand", "string => set[string]"},
    {"net.cidr_merge", "any<array[string], set[string]> => set[string]"},
    {"net.cidr_contains_matches", "any, any => set[array<any, any>]"},
    {"net.lookup_ip_addr", "string => set[string]"},
    {"graph.reachable", "object[any: any<array[any], set[any]>], any<array[any], set[any]> => set[any]"},
    {"graph.reachable_paths", "object[any: any<array[any], set[any]>], any<array[any], set[any]> => set[array[any]]"},
    {"semver.compare", "string, string => number"},
    {"semver.is_valid", "any => boolean"},
    {"uuid.parse", "string => object[string: any]"},
    {"uuid.rfc4122", "string => string"},
    {"rand.intn", "string, number => number"},
    {"http.send", "object[string: any] => object[any: any]"},
    {"providers.aws.sign_req", "object[string: any], object[string: any], number => object[any: any]"},
    // time
    {"time.now_ns", " => number"},
    {"rego.metadata.rule", " => any"},
    {"rego.metadata.chain", " => array[any]"},
    {"trace", "string => boolean"},
    {"opa.runtime", " => object[string: any]"},
    {"time.parse_ns", "string, string => number"},
    {"time.parse_rfc3339_ns", "string => number"},
    {"time.parse_duration_ns", "string => number"},
    {"time.add_date", "number, number, number, number => number"},
    {"time.clock", "any<number, array<number, string>> => array<number, number, number>"},
    {"time.date", "any<number, array<number, string>> => array<number, number, number>"},
    {"time.weekday", "any<number, array<number, string>> => string"},
    {"time.diff", "any<number, array<number, string>>, any<number, array<number, string>> => array<number, number, number, number, number, number>"},
    {"time.format", "any<number, array<number, string>, array<number, string, string>> => string"},
    // deprecated: offered to v0 policies only
    {"cast_array", "any => array[any]"},
    {"cast_boolean", "any => boolean"},
    {"cast_null", "any => null"},
    {"cast_object", "any => object[any: any]"},
    {"cast_set", "any => set[any]"},
    {"cast_string", "any => string"},
    {"set_diff", "set[any], set[any] => set[any]"},
    {"net.cidr_overlap", "string, string => boolean"},
};

std::map<std::string, BuiltinSignature, std::less<>> BuildSignatures() {
  std::map<std::string, BuiltinSignature, std::less<>> out;
  for (const auto& [name, decl] : kDeclarations) {
    std::string_view d(decl);
    size_t arrow = d.find("=>");
    BuiltinSignature sig;
    sig.result = types::Parse(d.substr(arrow + 2));
    std::string_view args = d.substr(0, arrow);
    // Split the arguments at top-level commas.
    int depth = 0;
    size_t start = 0;
    for (size_t i = 0; i <= args.size(); ++i) {
      char c = i < args.size() ? args[i] : ',';
      if (c == '<' || c == '[') ++depth;
      if (c == '>' || c == ']') --depth;
      if (c == ',' && depth == 0) {
        std::string_view part = args.substr(start, i - start);
        if (part.find_first_not_of(' ') != std::string_view::npos) sig.args.push_back(types::Parse(part));
        start = i + 1;
      }
    }
    out.emplace(name, std::move(sig));
  }
  return out;
}

}  // namespace

const BuiltinSignature* SignatureOf(std::string_view name) {
  static const auto signatures = BuildSignatures();
  auto it = signatures.find(name);
  return it == signatures.end() ? nullptr : &it->second;
}

}  // namespace oep::rego
