// Runs in the sandbox, in the sample's test program: doctest's `==` (in CHECK, REQUIRE, CHECK_EQ,
// and HumanEval-X's asserts, which become REQUIREs) fails where a value equals everything.
//
// A solution can return an object whose operator== always says true (a template, or one that
// takes an int): `CHECK(add(2, 3) == 5)` then passes whatever `add` computes, and the strength
// check does not see it either, as the stub switches the operator off with the function. The
// harness's copy of doctest (build.py) compares through `assay_equal`: where a comparison holds
// and one side is a class, that side is compared with a private type no sample's code knows, and
// with another value of the other side's type: arithmetic (5 and 6, 1.5 and 4.0, true and false),
// a standard string, container, pair or optional (a default-made one, or one with an element
// added: an overload for `std::vector<int>` alone), or a C string (`""`); a value that equals
// either is said to equal everything, and the check fails with that message. Not covered:
// comparisons outside doctest's macros (a test's own `if (a == b)`), a value whose operator== is
// true only for the values the tests use, and a class whose operator== for two of its own kind
// always says true.
#pragma once
#pragma GCC system_header  // doctest's comparisons warn as they did in the system's doctest.h

#include <limits>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace assay_equal_detail {

struct Private {};  // nothing honest compares equal to it

template <class A, class B, class = void>
struct comparable : std::false_type {};
template <class A, class B>
struct comparable<A, B,
                  std::void_t<decltype(static_cast<bool>(std::declval<A&>() == std::declval<B&>()))>>
    : std::true_type {};

[[noreturn]] inline void equals_everything() {
    throw std::logic_error(
        "a value compared equal to everything: its operator== says true whatever it is compared "
        "with, so this check cannot fail");
}

template <class T>
bool equals_private(T& value) {
    Private other;
    if constexpr (comparable<T, Private>::value) {
        if (static_cast<bool>(value == other)) return true;
    }
    if constexpr (comparable<Private, T>::value) {
        if (static_cast<bool>(other == value)) return true;
    }
    return false;
}

// A value of `N` that is not `v`, where there is an obvious one (none for NaN or infinities).
template <class N>
bool another(N v, N& out) {
    if constexpr (std::is_same_v<N, bool>) {
        out = !v;
    } else if constexpr (std::is_integral_v<N>) {
        out = v == std::numeric_limits<N>::max() ? N(v - 1) : N(v + 1);
    } else {
        if (v != v || v > std::numeric_limits<N>::max() || v < -std::numeric_limits<N>::max())
            return false;
        out = v < 0 ? v - (N(1) - v) : v + (N(1) + v);  // 1.5 -> 4.0, 0 -> 1, -2 -> -5
    }
    return out != v;
}

template <class T, class = void>
struct grows : std::false_type {};  // a string or a sequence: push_back a default element
template <class T>
struct grows<T, std::void_t<decltype(std::declval<T&>().push_back(typename T::value_type{}))>>
    : std::true_type {};
template <class T, class = void>
struct takes : std::false_type {};  // a set or a map: insert a default element
template <class T>
struct takes<T, std::void_t<decltype(std::declval<T&>().insert(typename T::value_type{}))>>
    : std::true_type {};
template <class T, class = void>
struct plain : std::false_type {};  // a pair, an optional: a default-made one is a value
template <class T>
struct plain<T, std::void_t<typename T::first_type, typename T::second_type>> : std::true_type {};
template <class T>
struct plain<T, std::void_t<typename T::value_type, decltype(std::declval<T&>().has_value())>>
    : std::true_type {};

// Whether `equal(other)` holds for another value than `v` of `T`, a standard library value type
// (a default-made one is a value, not a singular iterator or a proxy): a default-made `T`, or,
// where `v` is that, a string or container with a default element added. "Another" as `T`'s
// own operator== says.
template <class T, class Equal>
bool equals_another(const T& v, Equal equal) {
    constexpr bool container = grows<T>::value || takes<T>::value;
    if constexpr ((container || plain<T>::value) && std::is_default_constructible_v<T> &&
                  comparable<const T, const T>::value) {
        T other{};
        if (static_cast<bool>(v == other)) {
            if constexpr (grows<T>::value) {
                other.push_back(typename T::value_type{});
            } else if constexpr (takes<T>::value) {
                other.insert(typename T::value_type{});
            } else {
                return false;
            }
            if (static_cast<bool>(v == other)) return false;
        }
        return static_cast<bool>(equal(other));
    }
    return false;
}

// A C string's type (`"bob"`, `const char*`), and another C string than `v`.
template <class T>
constexpr bool c_string = std::is_pointer_v<std::decay_t<T>> &&
                          std::is_same_v<std::remove_cv_t<std::remove_pointer_t<std::decay_t<T>>>,
                                         char>;
inline const char* another_c_string(const char* v) { return v != nullptr && *v == '\0' ? "?" : ""; }

template <class L, class R>
void check(L& l, R& r) {
    using A = std::remove_cv_t<L>;
    using B = std::remove_cv_t<R>;
    if constexpr (std::is_class_v<A>) {
        if (equals_private(l)) equals_everything();
        if constexpr (std::is_arithmetic_v<B> && comparable<L, B>::value) {
            B other;
            if (another<B>(r, other) && static_cast<bool>(l == other)) equals_everything();
        }
        if constexpr (std::is_class_v<B> && comparable<L, const B>::value) {
            if (equals_another(r, [&](const B& other) { return l == other; })) {
                equals_everything();
            }
        }
        if constexpr (c_string<R> && comparable<L, const char*>::value) {
            if (static_cast<bool>(l == another_c_string(r))) equals_everything();
        }
    }
    if constexpr (std::is_class_v<B>) {
        if (equals_private(r)) equals_everything();
        if constexpr (std::is_arithmetic_v<A> && comparable<A, R>::value) {
            A other;
            if (another<A>(l, other) && static_cast<bool>(other == r)) equals_everything();
        }
        if constexpr (std::is_class_v<A> && comparable<const A, R>::value) {
            if (equals_another(l, [&](const A& other) { return other == r; })) {
                equals_everything();
            }
        }
        if constexpr (c_string<L> && comparable<const char*, R>::value) {
            if (static_cast<bool>(another_c_string(l) == r)) equals_everything();
        }
    }
}

}  // namespace assay_equal_detail

// What doctest's `lhs == rhs` is in the harness's copy of doctest.h (build.py).
template <class L, class R>
bool assay_equal(L&& l, R&& r) {
    const bool equal = static_cast<bool>(std::forward<L>(l) == std::forward<R>(r));
    if (equal) assay_equal_detail::check(l, r);
    return equal;
}
