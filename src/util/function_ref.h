// FunctionRef<R(Args...)>: a non-owning reference to a callable, two pointers wide, that never
// allocates (std::function copies a lambda with more than two captured references to the
// heap). Contract: the referenced callable outlives every call made through the reference —
// true for continuations passed down a call chain, as the Rego evaluator does.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

namespace oep {

template <typename Signature>
class FunctionRef;

template <typename R, typename... Args>
class FunctionRef<R(Args...)> {
 public:
  template <typename F, typename = std::enable_if_t<!std::is_same_v<std::decay_t<F>, FunctionRef> &&
                                                    std::is_invocable_r_v<R, F&, Args...>>>
  FunctionRef(F&& f)  // NOLINT(google-explicit-constructor): converts like std::function
      : object_(const_cast<void*>(static_cast<const void*>(std::addressof(f)))),
        call_([](void* object, Args... args) -> R {
          return (*static_cast<std::remove_reference_t<F>*>(object))(std::forward<Args>(args)...);
        }) {}

  R operator()(Args... args) const { return call_(object_, std::forward<Args>(args)...); }

 private:
  void* object_;
  R (*call_)(void*, Args...);
};

}  // namespace oep
