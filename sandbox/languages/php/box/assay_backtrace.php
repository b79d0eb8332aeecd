<?php
// Stand-ins for debug_backtrace() and debug_print_backtrace(), loaded by assay's harness
// (assay_phpunit.php) before any of the sample's code. Runs disable PHP's own
// (`-d disable_functions=...`, sandbox/languages/php/language.py): with them, code under test
// could read its callers' arguments (the expected value of the assertEquals() that called its
// __toString()) and objects (the running TestCase, to expectException() on it). PHP 8 lets a
// disabled function be declared again; PHPUnit calls these in a few places (the name of an
// assertion given a bad argument, the deprecation warnings of old assertions), so they stay,
// with what an exception's trace holds: files, lines, classes and functions, never an argument
// (zend.exception_ignore_args, which the harness's guard keeps on) nor an object.
declare(strict_types=1);

if (!function_exists('debug_backtrace')) {
    /** @return list<array<string, mixed>> the caller's frames, without arguments or objects */
    function debug_backtrace(int $options = DEBUG_BACKTRACE_PROVIDE_OBJECT, int $limit = 0): array
    {
        $frames = [];
        foreach (array_slice((new \Exception())->getTrace(), 1) as $frame) {
            unset($frame['args'], $frame['object']);
            $frames[] = $frame;
            if ($limit > 0 && count($frames) >= $limit) {
                break;
            }
        }
        return $frames;
    }
}

if (!function_exists('debug_print_backtrace')) {
    function debug_print_backtrace(int $options = 0, int $limit = 0): void
    {
        foreach (array_slice(debug_backtrace(0, $limit > 0 ? $limit + 1 : 0), 1) as $i => $frame) {
            $where = isset($frame['file']) ? $frame['file'] . '(' . ($frame['line'] ?? 0) . ')' : '[internal function]';
            echo '#', $i, ' ', $where, ': ', ($frame['class'] ?? ''), ($frame['type'] ?? ''), $frame['function'], "()\n";
        }
    }
}
