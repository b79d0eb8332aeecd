// The strength check's stub (sandbox/languages/cpp/stub.py), included by the prelude: the switch
// every function of an instrumented solution asks first, and what a stubbed function returns.
#pragma once
#include <stdexcept>
#include <type_traits>

// On when the test binary runs with the strength check's variable set; the harness answers it
// (harness.cpp).
extern "C" bool assay_stubbed() noexcept;

// What a stubbed function that returns T gives back: nothing for void, a value-initialised T (0,
// false, "", an empty container), for a reference one to a value-initialised static; where T
// cannot be made so (no default constructor, an abstract class) it throws, as a function whose
// type is deduced does. A template, so that only the branch T needs is ever compiled.
template <class T>
T assay_stub_value() {
    using Value = std::remove_cv_t<std::remove_reference_t<T>>;
    if constexpr (std::is_void_v<T>) {
        return;
    } else if constexpr (!std::is_default_constructible_v<Value>) {
        throw std::logic_error("assay strength check: stubbed function");
    } else if constexpr (std::is_reference_v<T>) {
        static Value value = Value();
        return static_cast<T>(value);
    } else {
        return Value();
    }
}
