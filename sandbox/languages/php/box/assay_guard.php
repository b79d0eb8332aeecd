<?php
// The guard of assay's PHP harness (assay_phpunit.php), in the box: loaded by the harness before
// any of the sample's code runs, and asked after the files load and after each test whether the
// sample declared a class or function in PHPUnit's namespaces (or the harness's) from a file of
// its own, or changed a setting that makes assert() check or keeps arguments out of traces.
declare(strict_types=1);

namespace Assay\Harness;

use ReflectionClass;
use ReflectionFunction;

// Classes and functions of these namespaces must come from the trusted PHP library directory, and
// these settings (INI_ALL: code can change them) must keep the values the run started with.
final class Guard
{
    private const PREFIXES = [
        'phpunit\\', 'sebastianbergmann\\', 'doctrine\\instantiator\\', 'deepcopy\\',
        'phario\\', 'theseer\\', 'assay\\',
    ];
    /** What makes assert() check and throw, and keeps arguments out of exceptions' traces. */
    private const SETTINGS = [
        'zend.assertions', 'assert.active', 'assert.exception', 'assert.warning', 'assert.bail',
        'zend.exception_ignore_args',
    ];
    /** @var array<string, string|false> */
    private array $settings = [];
    /** @var array<string, true> */
    private array $seen = [];
    private int $classes = 0;
    /** @var array<string, true> the harness's own functions */
    private array $own = [];

    /**
     * Made before any of the sample's code runs: what is declared in the protected namespaces now
     * is the harness's own (its files lie in the work dir, where the sample may write over them
     * and load them again: trusted by name, not by file).
     */
    public function __construct(private string $trusted)
    {
        foreach (array_merge(get_declared_classes(), get_declared_interfaces(), get_declared_traits()) as $name) {
            if ($this->protected($name)) {
                $this->seen[$name] = true;
            }
        }
        foreach (get_defined_functions()['user'] as $name) {
            $this->own[$name] = true;
        }
        foreach (self::SETTINGS as $setting) {
            $this->settings[$setting] = ini_get($setting);
        }
    }

    private function protected(string $name): bool
    {
        $lower = strtolower(ltrim($name, '\\'));
        foreach (self::PREFIXES as $prefix) {
            if (strncmp($lower, $prefix, strlen($prefix)) === 0) {
                return true;
            }
        }
        return false;
    }

    private function fromTrusted(string|false $file): bool
    {
        return $file !== false && str_starts_with($file, $this->trusted);
    }

    /**
     * What the sample changed, or null: a setting of SETTINGS, or the first class or function it
     * declared in a protected namespace.
     */
    public function tampered(): ?string
    {
        foreach ($this->settings as $setting => $value) {
            $now = ini_get($setting);
            if ($now !== $value) {
                return sprintf(
                    "the code changed PHP's setting %s from '%s' to '%s': code under test must leave assert() and the test framework alone",
                    $setting, (string) $value, (string) $now
                );
            }
        }
        $all = array_merge(get_declared_classes(), get_declared_interfaces(), get_declared_traits());
        if (count($all) !== $this->classes) {
            $this->classes = count($all);
            foreach ($all as $name) {
                if (isset($this->seen[$name]) || !$this->protected($name)) {
                    continue;
                }
                if (!$this->fromTrusted((new ReflectionClass($name))->getFileName())) {
                    return tamperedMessage($name);
                }
                $this->seen[$name] = true;
            }
        }
        foreach (get_defined_functions()['user'] as $name) {
            if (isset($this->own[$name])) {
                continue;
            }
            if ($this->protected($name) && !$this->fromTrusted((new ReflectionFunction($name))->getFileName())) {
                return tamperedMessage($name . '()');
            }
        }
        return null;
    }
}
