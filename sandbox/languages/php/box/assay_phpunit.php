<?php
// assay's test harness for PHP: `php assay_phpunit.php SolutionTest.php` in the box.
//
// Untrusted side: it runs in the sample's process, but before any of the sample's code. It reads
// the run's token from descriptor 4 (or has it from the PHP zygote that forked the run, which
// loaded this file and calls main()), loads PHPUnit (Debian's) and the classes it reports with,
// then loads the solution and the tests file, collects every TestCase subclass they
// declared, runs their tests with PHPUnit and writes each event as `<token> <json>` on
// descriptor 3 (sandbox/isolation/channel.py). `end` is written only after the last test ran;
// an exit() anywhere, a fatal error or a test that never ends leaves the report without it, which
// the verifier rejects. After the file loaded and after each test, every class and function
// declared in PHPUnit's namespaces must come from PHPUnit's own files (assay_guard.php): a sample
// that declares one (to replace an assertion before PHPUnit loads it) fails; so does one that
// changed the PHP settings that make assert() check (zend.assertions, assert.*) or keep arguments
// out of traces (zend.exception_ignore_args). A test that performed no assertion (PHPUnit's
// "risky") fails; one that declared so (expectNotToPerformAssertions()) passes, and counts as
// passing on the strength check's stub too: it cannot tell the stub from the code. PHP's
// debug_backtrace() is disabled: the harness's stand-ins (assay_backtrace.php) give no arguments
// and no objects.
//
// When the sandbox put the next phase's files (the strength check's stub) beside the sample's, as
// `.assay_next.<name>`, the harness reads and removes them before any of the sample's code runs,
// and runs the sample's tests in a child (pcntl_fork, PHPUnit already loaded: assay_next_phase.php). After a clean pass
// (tests ran and every one passed), if the child left nothing behind (another process, a new or
// removed file in the work dir, /tmp or /dev/shm, a System V IPC object), it reports `next`, puts
// those files in place and runs the tests again itself, outcomes only: it never ran any of the
// sample's code. Else it ends as the child did, and the sandbox runs the next phase in a fresh
// process (sandbox/isolation/steps.py).
declare(strict_types=1);

namespace Assay\Harness;

use PHPUnit\Framework\AssertionFailedError;
use PHPUnit\Framework\Test;
use PHPUnit\Framework\TestCase;
use PHPUnit\Framework\TestFailure;
use PHPUnit\Framework\TestListener;
use PHPUnit\Framework\TestResult;
use PHPUnit\Framework\TestSuite;
use PHPUnit\Framework\Warning;
use PHPUnit\Util\FileLoader;
use PHPUnit\Util\Filter;
use ReflectionClass;
use Throwable;

if (!@include_once 'PHPUnit/Autoload.php') {
    fwrite(STDERR, "assay harness: PHPUnit is not installed (Debian: apt-get install phpunit)\n");
    exit(70);
}
require __DIR__ . '/assay_next_phase.php';
require __DIR__ . '/assay_backtrace.php';
require __DIR__ . '/assay_guard.php';

final class Channel
{
    public int $seq = 0;

    /** @param resource $stream */
    public function __construct(private string $token, private $stream)
    {
    }

    /** @param array<string, mixed> $fields */
    public function send(array $fields): void
    {
        $json = json_encode(
            ['seq' => $this->seq] + $fields,
            JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_INVALID_UTF8_SUBSTITUTE
        );
        $this->seq += 1;
        $line = $this->token . ' ' . $json . "\n";
        while ($line !== '') {
            $wrote = fwrite($this->stream, $line);
            if ($wrote === false || $wrote === 0) {
                return;
            }
            $line = substr($line, $wrote);
        }
    }
}

final class Harness implements TestListener
{
    use \PHPUnit\Framework\TestListenerDefaultImplementation;

    private const NO_ASSERTIONS = 'no assertions';

    public string $state = 'loading'; // then 'running', 'done'
    public ?string $running = null;
    /** @var array{0: string, 1: string, 2: string}|null outcome, message, detail */
    private ?array $problem = null;
    private bool $skipped = false;
    private float $started = 0.0;
    public int $failed = 0;
    public int $cases = 0;
    public int $passed = 0;

    public function __construct(
        private Channel $channel,
        private Guard $guard,
        private string $testsName,
        private string $workdir,
        private bool $outcomesOnly,
    ) {
    }

    public function id(Test $test): string
    {
        if ($test instanceof TestCase) {
            $name = get_class($test) . '::' . $test->getName(); // with the data set's name
        } else {
            $name = $test instanceof \PHPUnit\Framework\SelfDescribing ? $test->toString() : get_class($test);
        }
        return $this->testsName . '::' . $name;
    }

    private function clean(string $text, int $limit): string
    {
        $text = str_replace($this->workdir, '', $text);
        return strlen($text) > $limit ? substr($text, 0, $limit) . '... [' . (strlen($text) - $limit) . ' more bytes]' : $text;
    }

    public function describe(Throwable $e): string
    {
        try {
            $text = trim(TestFailure::exceptionToString($e));
            if ($e instanceof \PHPUnit\Framework\ExceptionWrapper) {
                return $this->clean($text, 2000); // "Class: message" already
            }
            $kind = $e instanceof AssertionFailedError ? 'AssertionFailedError' : (new ReflectionClass($e))->getShortName();
            return $this->clean($kind . ': ' . $text, 2000);
        } catch (Throwable) {
            return 'an error that cannot be shown';
        }
    }

    public function trace(Throwable $e): string
    {
        try {
            return $this->clean(trim(Filter::getFilteredStacktrace($e)), 4000);
        } catch (Throwable) {
            return '';
        }
    }

    public function startTest(Test $test): void
    {
        $this->running = $this->id($test);
        $this->problem = null;
        $this->skipped = false;
        $this->channel->send(['t' => 'begin', 'id' => $this->running]);
        $this->started = hrtime(true) / 1e9;
    }

    private function record(string $outcome, Throwable $e, ?string $message = null): void
    {
        if ($this->problem === null && $this->outcomesOnly) {
            $this->problem = [$outcome, '', '']; // no message: not worth PHPUnit's formatting
        } elseif ($this->problem === null) {
            $this->problem = [$outcome, $message ?? $this->describe($e), $this->trace($e)];
        }
    }

    /**
     * PHPUnit's "risky" test, which PHPUnit passes, fails here: above all one that performed no
     * assertion (it passes whatever the code returns, and fails on the stub, which throws).
     */
    public function addRiskyTest(Test $test, Throwable $t, float $time): void
    {
        $message = null;
        if ($test instanceof TestCase && $test->getNumAssertions() === 0 && !$test->doesNotPerformAssertions()) {
            $where = preg_match('/\n\n(.+:\d+)$/', trim($t->getMessage()), $m) ? ' (' . $this->clean(basename($m[1]), 200) . ')' : '';
            $message = self::NO_ASSERTIONS . " in this test$where: assert on what the code returns with \$this->assertSame(), "
                . "\$this->assertEquals() and the like (PHP's own assert() is not counted)";
        }
        $this->record('failed', $t, $message);
    }

    public function addError(Test $test, Throwable $t, float $time): void
    {
        $this->record('failed', $t);
    }

    public function addWarning(Test $test, Warning $e, float $time): void
    {
        $this->record('error', $e);
    }

    public function addFailure(Test $test, AssertionFailedError $e, float $time): void
    {
        $this->record('failed', $e);
    }

    public function addIncompleteTest(Test $test, Throwable $t, float $time): void
    {
        $this->skipped = true;
    }

    public function addSkippedTest(Test $test, Throwable $t, float $time): void
    {
        $this->skipped = true;
    }

    public function endTest(Test $test, float $time): void
    {
        if ($this->outcomesOnly && $test instanceof TestCase && $test->doesNotPerformAssertions() && !$this->skipped) {
            $this->problem = null; // on the stub: a test that asserts nothing cannot kill it
        }
        $changed = $this->guard->tampered();
        if ($changed !== null && $this->problem === null) {
            $this->problem = ['failed', $changed, ''];
        }
        $outcome = $this->problem[0] ?? ($this->skipped ? 'skipped' : 'passed');
        $message = $this->outcomesOnly ? '' : ($this->problem[1] ?? '');
        $detail = $this->outcomesOnly ? '' : ($this->problem[2] ?? '');
        if ($this->problem !== null) {
            $this->failed += 1;
        }
        $this->cases += 1;
        $this->passed += $outcome === 'passed' ? 1 : 0;
        $duration = round(hrtime(true) / 1e9 - $this->started, 4);
        $case = [
            't' => 'case', 'id' => $this->id($test), 'outcome' => $outcome,
            'message' => $message, 'detail' => $detail, 'duration' => $duration,
        ];
        if (str_starts_with($message, self::NO_ASSERTIONS)) {
            $case['kind'] = self::NO_ASSERTIONS; // the verdict's reason
        }
        $this->channel->send($case);
        $this->running = null;
    }
}

function tamperedMessage(string $what): string
{
    return "the code declared $what in PHPUnit's namespace: code under test must leave the test framework alone";
}

/** @return list<string> */
function ids(Test $test, Harness $harness): array
{
    if ($test instanceof TestSuite) {
        $out = [];
        foreach ($test->tests() as $child) {
            array_push($out, ...ids($child, $harness));
        }
        return $out;
    }
    return [$harness->id($test)];
}

/**
 * One run: `$args` are the harness's arguments (the tests file, `--outcomes-only`), `$token` the
 * run's. Everything runs in this function, so the harness's objects are no globals of the
 * sample's. The exit status.
 */
function main(array $args, string $token, ?Guard $guard = null): int
{
    if (!preg_match('/^[0-9a-f]{32}$/', $token)) {
        fwrite(STDERR, "assay harness: cannot read the run's token\n");
        return 70;
    }
    $channel = @fopen('php://fd/3', 'wb');
    if ($channel === false) {
        fwrite(STDERR, "assay harness: the result channel is not open\n");
        return 70;
    }
    stream_set_write_buffer($channel, 0);
    $outcomesOnly = in_array('--outcomes-only', $args, true);
    $testsFile = realpath((string) (array_values(array_filter($args, fn ($a) => !str_starts_with($a, '--')))[0] ?? 'SolutionTest.php'));
    $workdir = dirname((string) $testsFile) . '/';
    $channel = new Channel($token, $channel);
    unset($token);
    $guard ??= guard();

    $next = $outcomesOnly ? null : takeNextFiles($workdir);
    if ($next === null) {
        return runPhase($channel, $guard, (string) $testsFile, $workdir, $outcomesOnly);
    }
    return runChained($channel, $guard, (string) $testsFile, $workdir, $next);
}

// Run as a program: the token on descriptor 4. Loaded by the PHP zygote (sandbox/languages/php/
// zygote.php), which defines ASSAY_ZYGOTE: it calls main() in each runner it forks.
if (!defined('ASSAY_ZYGOTE')) {
    exit(main(array_slice($_SERVER['argv'] ?? [], 1), readToken()));
}

/** The run's token, from descriptor 4 (never a global of the sample's). */
function readToken(): string
{
    $stream = @fopen('php://fd/4', 'rb');
    if ($stream === false) {
        return '';
    }
    $token = trim((string) stream_get_contents($stream));
    fclose($stream);
    return $token;
}

/**
 * What reporting needs, loaded before any of the sample's code, and the guard that knows it all
 * as trusted (the PHP zygote makes it once, for all its runs).
 */
function guard(): Guard
{
    $trusted = dirname((string) realpath((string) stream_resolve_include_path('PHPUnit/Autoload.php')), 2) . '/';
    $guard = new Guard($trusted);
    foreach ([TestCase::class, TestSuite::class, TestResult::class, TestFailure::class, Filter::class,
        \PHPUnit\Framework\ExpectationFailedException::class, \PHPUnit\Framework\ExceptionWrapper::class,
        \PHPUnit\Framework\DataProviderTestSuite::class, \PHPUnit\Framework\Assert::class,
        \PHPUnit\Framework\Constraint\IsIdentical::class, \PHPUnit\Framework\Constraint\IsEqual::class,
        \SebastianBergmann\Comparator\Factory::class, \SebastianBergmann\Exporter\Exporter::class,
        \PHPUnit\Util\Test::class, \PHPUnit\Framework\TestBuilder::class, FileLoader::class] as $class) {
        class_exists($class);
    }
    $guard->tampered();
    return $guard;
}

/** One run of the tests: load the solution and the tests, run them, report; the exit status. */
function runPhase(Channel $channel, Guard $guard, string $testsFile, string $workdir, bool $outcomesOnly, ?Harness &$harness = null): int
{
    $harness = new Harness($channel, $guard, basename($testsFile), $workdir, $outcomesOnly);
    // A fatal error or exit() before the last test: the report stays without `end`; while loading,
    // the error is the collection's.
    register_shutdown_function(function () use ($harness, $channel): void {
        if ($harness->state === 'done') {
            return;
        }
        $error = error_get_last();
        $why = $error === null ? 'the process ended (exit() was called)'
            : sprintf('PHP Fatal error: %s in %s:%d', $error['message'], basename($error['file']), $error['line']);
        if ($harness->state === 'loading') {
            $channel->send(['t' => 'collected', 'ids' => [], 'errors' => [$why . ' while loading the tests']]);
            $channel->send(['t' => 'end', 'exitstatus' => 2]);
        } elseif ($harness->running !== null) {
            $channel->send(['t' => 'case', 'id' => $harness->running, 'outcome' => 'error',
                'message' => $why . ' during the test', 'detail' => '']);
        }
    });

    $channel->send(['t' => 'start']);
    $errors = [];
    $suite = new TestSuite('');
    try {
        $before = get_declared_classes();
        // As PHPUnit loads a file: in a scope of its own (the top level's variables become
        // globals), never in this function's.
        // Tests that do not name the solution get it loaded first; those that do load it
        // themselves (a plain `require` of a file loaded before would redeclare its functions).
        $loadsSolution = str_contains((string) file_get_contents((string) $testsFile), 'solution.php');
        if (is_file($workdir . 'solution.php') && !$loadsSolution) {
            FileLoader::load($workdir . 'solution.php');
        }
        FileLoader::load((string) $testsFile);
        foreach (array_diff(get_declared_classes(), $before) as $class) {
            $reflection = new ReflectionClass($class);
            if ($reflection->isSubclassOf(TestCase::class) && !$reflection->isAbstract()) {
                $suite->addTestSuite($reflection);
            }
        }
        $changed = $guard->tampered();
        if ($changed !== null) {
            $errors[] = $changed;
        }
        $collected = ids($suite, $harness);
    } catch (Throwable $e) {
        $errors[] = trim($harness->trace($e) . "\n" . $harness->describe($e));
        $collected = [];
    }
    $harness->state = 'running';
    if ($errors) {
        $channel->send(['t' => 'collected', 'ids' => $collected, 'errors' => $errors]);
        fwrite(STDERR, implode("\n", $errors) . "\n");
        $harness->state = 'done';
        $channel->send(['t' => 'end', 'exitstatus' => 2]);
        return 2;
    }
    $channel->send(['t' => 'collected', 'ids' => $collected, 'errors' => []]);
    $result = new TestResult();
    $result->addListener($harness);
    $suite->run($result);
    $harness->state = 'done';
    $status = $harness->failed ? 1 : 0;
    $channel->send(['t' => 'end', 'exitstatus' => $status]);
    return $status;
}
