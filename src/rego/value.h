// Rego values with OPA's semantics: null, boolean, number, string, array, object, set.
// Composite values are immutable and shared; copies are cheap. Numbers keep their exact
// value: integers in int64 when they fit, otherwise the decimal text beside a double.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <rapidjson/document.h>

#include "util/status.h"

namespace oep::rego {

enum class Kind { kNull = 0, kBool = 1, kNumber = 2, kString = 3, kArray = 4, kObject = 5, kSet = 6 };

class Value;
struct ValueLess {
  bool operator()(const Value& a, const Value& b) const;
};
using Array = std::vector<Value>;
using Object = std::map<Value, Value, ValueLess>;
using Set = std::set<Value, ValueLess>;

class Value {
 public:
  Value() : kind_(Kind::kNull) {}
  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t i);
  static Value Double(double d);
  // A number from its JSON/Rego text ("12", "1.5e3", "123456789012345678901234").
  static Value NumberText(std::string_view text);
  static Value String(std::string s);
  static Value MakeArray(Array a);
  static Value MakeObject(Object o);
  static Value MakeSet(Set s);

  Kind kind() const { return kind_; }
  bool is_null() const { return kind_ == Kind::kNull; }
  bool is_bool() const { return kind_ == Kind::kBool; }
  bool is_number() const { return kind_ == Kind::kNumber; }
  bool is_string() const { return kind_ == Kind::kString; }
  bool is_array() const { return kind_ == Kind::kArray; }
  bool is_object() const { return kind_ == Kind::kObject; }
  bool is_set() const { return kind_ == Kind::kSet; }

  bool as_bool() const { return b_; }
  const std::string& str() const { return *static_cast<const std::string*>(p_.get()); }
  const Array& array() const { return *static_cast<const Array*>(p_.get()); }
  const Object& object() const { return *static_cast<const Object*>(p_.get()); }
  const Set& set() const { return *static_cast<const Set*>(p_.get()); }

  // Numbers.
  bool is_int() const { return kind_ == Kind::kNumber && int_; }  // fits int64 exactly
  int64_t as_int() const { return i_; }
  double as_double() const { return d_; }
  // Exact decimal text for numbers outside int64 that came from text, else empty.
  const std::string& number_text() const;

  // OPA's total order: null < false < true < numbers < strings < arrays < objects < sets.
  int Compare(const Value& other) const;
  bool operator==(const Value& other) const { return Compare(other) == 0; }
  bool operator!=(const Value& other) const { return Compare(other) != 0; }

  // Element lookup for refs: array index, object key, set membership (returns the element).
  std::optional<Value> Get(const Value& key) const;

  // True when another Value refers to this one's string or collection (copies share it);
  // the evaluator's memory budget returns what it charged for a value nobody kept.
  bool payload_shared() const { return p_ && p_.use_count() > 1; }

  std::string TypeName() const;  // "null", "boolean", "number", "string", "array", "object", "set"

  // JSON with sorted keys and sets as sorted arrays (OPA's JSON output).
  std::string ToJson() const;
  // Rego literal text: like JSON but sets as {a, b} and the empty set as set().
  std::string ToRego() const;
  // OPA's display form: [1, "a"], {"k": 1}, {1, 2}, set().
  std::string ToRegoDisplay() const;
  // Appends to a RapidJSON value (sets become arrays).
  void ToRapid(rapidjson::Value* out, rapidjson::Document::AllocatorType& a) const;
  static Value FromRapid(const rapidjson::Value& v);
  static Result<Value> FromJsonText(std::string_view text);

 private:
  // A composite or string value holding `payload`.
  template <typename T>
  static Value Holding(Kind kind, T payload) {
    Value v;
    v.kind_ = kind;
    v.p_ = std::make_shared<const T>(std::move(payload));
    return v;
  }

  Kind kind_;
  bool b_ = false;
  bool int_ = false;
  int64_t i_ = 0;
  double d_ = 0;
  // The shared payload, by kind: std::string (string; number: exact text or null), Array,
  // Object, Set. One pointer keeps a Value at 40 bytes and a copy at one reference count.
  std::shared_ptr<const void> p_;
};

}  // namespace oep::rego
