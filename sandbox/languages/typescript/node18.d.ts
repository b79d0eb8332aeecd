// What Node 18 runs beyond the ES2022 library that `tsc --lib es2022` declares (assay): ES2023's
// findLast and findLastIndex (V8 9.7). The rest of ES2023 (toSorted, toReversed, with, ...) came
// with Node 20 and stays undeclared, so that code the Docker image's Node 18 cannot run does not
// type-check. Signatures as TypeScript's lib.es2023.array.d.ts has them.

interface Array<T> {
    findLast<S extends T>(predicate: (value: T, index: number, array: T[]) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: T, index: number, array: T[]) => unknown, thisArg?: any): T | undefined;
    findLastIndex(predicate: (value: T, index: number, array: T[]) => unknown, thisArg?: any): number;
}

interface ReadonlyArray<T> {
    findLast<S extends T>(predicate: (value: T, index: number, array: readonly T[]) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: T, index: number, array: readonly T[]) => unknown, thisArg?: any): T | undefined;
    findLastIndex(predicate: (value: T, index: number, array: readonly T[]) => unknown, thisArg?: any): number;
}

interface Int8Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends number>(predicate: (value: number, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number | undefined;
    findLastIndex(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number;
}

interface Uint8Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends number>(predicate: (value: number, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number | undefined;
    findLastIndex(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number;
}

interface Uint8ClampedArray<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends number>(predicate: (value: number, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number | undefined;
    findLastIndex(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number;
}

interface Int16Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends number>(predicate: (value: number, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number | undefined;
    findLastIndex(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number;
}

interface Uint16Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends number>(predicate: (value: number, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number | undefined;
    findLastIndex(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number;
}

interface Int32Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends number>(predicate: (value: number, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number | undefined;
    findLastIndex(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number;
}

interface Uint32Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends number>(predicate: (value: number, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number | undefined;
    findLastIndex(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number;
}

interface Float32Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends number>(predicate: (value: number, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number | undefined;
    findLastIndex(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number;
}

interface Float64Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends number>(predicate: (value: number, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number | undefined;
    findLastIndex(predicate: (value: number, index: number, array: this) => unknown, thisArg?: any): number;
}

interface BigInt64Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends bigint>(predicate: (value: bigint, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: bigint, index: number, array: this) => unknown, thisArg?: any): bigint | undefined;
    findLastIndex(predicate: (value: bigint, index: number, array: this) => unknown, thisArg?: any): number;
}

interface BigUint64Array<TArrayBuffer extends ArrayBufferLike> {
    findLast<S extends bigint>(predicate: (value: bigint, index: number, array: this) => value is S, thisArg?: any): S | undefined;
    findLast(predicate: (value: bigint, index: number, array: this) => unknown, thisArg?: any): bigint | undefined;
    findLastIndex(predicate: (value: bigint, index: number, array: this) => unknown, thisArg?: any): number;
}
