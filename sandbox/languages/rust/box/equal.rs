//! Values equal to everything: part of assay's Rust test runner (box/harness.rs), INSIDE the
//! sandbox. A solution can return a type whose `PartialEq` always says true:
//! `assert_eq!(add(2, 3), 5)` then passes whatever `add` computes, and the strength check does not
//! see it either (the stub switches `eq` off with every other function). The crate root assay
//! writes shadows `assert_eq!`: once its two values compared equal, `guard` compares each with a
//! private type no sample knows, and a primitive side's value with the other side replaced by
//! another value of its type (5 and 6, 1.5 and 4.0, true and false); a value equal to either
//! fails the test. Not covered: `assert!(a == b)`, and a `PartialEq` true only for the values the
//! tests use.
pub struct Private;

trait EqualsPrivate {
    fn equals_private(&self) -> bool;
}

impl<T: ?Sized> EqualsPrivate for T {
    default fn equals_private(&self) -> bool {
        false
    }
}

impl<T: ?Sized + PartialEq<Private>> EqualsPrivate for T {
    fn equals_private(&self) -> bool {
        *self == Private
    }
}

/// Another value of a primitive type, where there is an obvious one.
trait Other: Sized + Copy {
    fn other(self) -> Option<Self>;
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Other for $t {
            fn other(self) -> Option<Self> {
                Some(if self == <$t>::MAX { self - 1 } else { self + 1 })
            }
        }
    )*};
}
integers!(i8, i16, i32, i64, i128, isize, u8, u16, u32, u64, u128, usize);

macro_rules! floats {
    ($($t:ty),*) => {$(
        impl Other for $t {
            fn other(self) -> Option<Self> {
                let other = if self < 0.0 { self - (1.0 - self) } else { self + (1.0 + self) };
                (self.is_finite() && other.is_finite() && other != self).then(|| other)
            }
        }
    )*};
}
floats!(f32, f64);

impl Other for bool {
    fn other(self) -> Option<Self> {
        Some(!self)
    }
}

impl Other for char {
    fn other(self) -> Option<Self> {
        Some(if self == 'a' { 'b' } else { 'a' })
    }
}

/// Whether `left` equals another value than `self` (the right side).
trait RightReplaced<L: ?Sized> {
    fn replaced_equal(&self, left: &L) -> bool;
}

impl<L: ?Sized, R: ?Sized> RightReplaced<L> for R {
    default fn replaced_equal(&self, _: &L) -> bool {
        false
    }
}

impl<L: ?Sized + PartialEq<R>, R: Other> RightReplaced<L> for R {
    fn replaced_equal(&self, left: &L) -> bool {
        self.other().map_or(false, |other| *left == other)
    }
}

/// Whether another value than `self` (the left side) equals `right`.
trait LeftReplaced<R: ?Sized> {
    fn replaced_equal(&self, right: &R) -> bool;
}

impl<L: ?Sized, R: ?Sized> LeftReplaced<R> for L {
    default fn replaced_equal(&self, _: &R) -> bool {
        false
    }
}

impl<L: Other + PartialEq<R>, R: ?Sized> LeftReplaced<R> for L {
    fn replaced_equal(&self, right: &R) -> bool {
        self.other().map_or(false, |other| other == *right)
    }
}

/// Fails the test where `left` or `right`, which compared equal, equals everything.
#[track_caller]
pub fn guard<L: ?Sized + PartialEq<R>, R: ?Sized>(left: &L, right: &R) {
    let everything = left.equals_private()
        || right.equals_private()
        || RightReplaced::replaced_equal(right, left)
        || LeftReplaced::replaced_equal(left, right);
    if everything {
        panic!(
            "a value compared equal to everything: its PartialEq says true whatever it is \
             compared with, so this assert_eq! cannot fail"
        );
    }
}
