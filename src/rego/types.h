// Static types of Rego terms, as OPA's type checker models them: null, boolean, number,
// string, arrays (static element types and/or one dynamic element type), sets, objects
// (static properties and/or a dynamic key and value type) and `any` (a union; the empty
// union is the type of every value).
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rego/value.h"

namespace oep::rego::types {

struct Type;
// nullptr is the type of an unbound variable (printed "???").
using TypePtr = std::shared_ptr<const Type>;

struct Type {
  enum class Kind { kAny, kNull, kBoolean, kNumber, kString, kArray, kSet, kObject };
  Kind kind = Kind::kAny;
  std::vector<TypePtr> of;                       // kAny: the union members; kArray: static elements
  TypePtr dynamic;                               // kArray/kSet: element type; kObject: value type
  TypePtr dynamic_key;                           // kObject
  std::vector<std::pair<Value, TypePtr>> props;  // kObject: static properties, sorted by key
};

TypePtr Any();
TypePtr Null();
TypePtr Boolean();
TypePtr Number();
TypePtr String();
TypePtr ArrayOf(TypePtr elem);
TypePtr StaticArray(std::vector<TypePtr> elems);
TypePtr SetOf(TypePtr elem);
TypePtr ObjectOf(TypePtr key, TypePtr value);
TypePtr StaticObject(std::vector<std::pair<Value, TypePtr>> props);
// The union of a and b (a member already covered is not repeated; any absorbs all).
TypePtr Or(const TypePtr& a, const TypePtr& b);

// The type of a value.
TypePtr Of(const Value& v);

// Whether a value of type a may also be of type b (OPA's unification of types).
bool Unifies(const TypePtr& a, const TypePtr& b);

// Key and element types of a collection type (nullptr for scalars).
TypePtr Keys(const TypePtr& t);
TypePtr Values(const TypePtr& t);
// The type under constant key `key`, or nullptr when no value of `t` can have it.
TypePtr Select(const TypePtr& t, const Value& key);
// Whether `t` is an object type with only static properties (ref keys can be checked).
bool Closed(const TypePtr& t);

// OPA's notation: number, array[string], object<a: number>, any<null, string>, ???.
std::string ToString(const TypePtr& t);

// Parses the notation above (used to declare built-in signatures); aborts on bad text.
TypePtr Parse(std::string_view text);

}  // namespace oep::rego::types
