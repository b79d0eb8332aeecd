<?php
// The strength check's run without a fresh PHP start, for assay's harness (assay_phpunit.php), in
// the box: loaded by the harness before any of the sample's code runs. The next phase's files
// (`.assay_next.<name>`, put beside the sample's by sandbox/isolation/steps.py) are read and
// removed; PHPUnit runs a test of its own once; the sample's tests run in a child (pcntl_fork);
// after a clean pass that left nothing behind (another process, a new or removed file in the work
// dir, /tmp or /dev/shm, a System V IPC object), the harness reports `next`, puts the files in
// place and runs the tests itself, outcomes only: it never ran any of the sample's code. Else it
// ends as the child did (its exit status, or its signal), and the sandbox runs the next phase in
// a fresh process.
declare(strict_types=1);

namespace Assay\Harness;

use PHPUnit\Framework\TestCase;
use PHPUnit\Framework\TestResult;
use PHPUnit\Framework\TestSuite;
use ReflectionClass;

const NEXT = '.assay_next.';

/**
 * Run once before the fork, so that the classes a run of tests loads (~20 of PHPUnit's and its
 * comparators') are loaded once for both phases: -6% wall on the PHP benchmark (A/B, 8 paired runs).
 */
final class WarmUp extends TestCase
{
    public function testWarmsUp(): void
    {
        $this->assertSame(1, 1);
    }
}

/** @return array<string, string>|null the next phase's files, by name; removed from the work dir */
function takeNextFiles(string $workdir): ?array
{
    $found = null;
    foreach (scandir($workdir) ?: [] as $name) {
        if (str_starts_with($name, NEXT)) {
            $found ??= [];
            $found[substr($name, strlen(NEXT))] = (string) file_get_contents($workdir . $name);
            unlink($workdir . $name);
        }
    }
    return $found;
}

/** @return list<list<string>|null> the listings of the places a run can leave files in */
function places(string $workdir): array
{
    return array_map(fn ($dir) => is_dir($dir) ? (scandir($dir) ?: null) : null, [$workdir, '/tmp', '/dev/shm']);
}

/** What a run left that could reach into the next one, if anything. */
function leftBehind(string $workdir, array $before): ?string
{
    foreach (scandir('/proc') ?: [] as $entry) {
        if (ctype_digit($entry) && (int) $entry !== 1 && (int) $entry !== getmypid()) {
            return 'a process';
        }
    }
    if (places($workdir) !== $before) {
        return 'a file';
    }
    foreach (['/proc/sysvipc/shm', '/proc/sysvipc/sem', '/proc/sysvipc/msg'] as $listing) {
        $lines = @file($listing);
        if ($lines !== false && count($lines) > 1) {
            return 'a System V IPC object';
        }
    }
    return null;
}

/** Once a process (the PHP zygote runs it before it forks any run). */
function warmUp(): void
{
    static $done = false;
    if (!$done) {
        $warm = new TestSuite('');
        $warm->addTestSuite(new ReflectionClass(WarmUp::class));
        $warm->run(new TestResult());
        $done = true;
    }
}

/**
 * The sample's run in a child, then, after a clean pass that left nothing behind, the next
 * phase's in this process, which never ran any of the sample's code. Else this process ends as
 * the child did (its exit status, or its signal), and the next phase runs afresh.
 * @param array<string, string> $next
 */
function runChained(Channel $channel, Guard $guard, string $testsFile, string $workdir, array $next): int
{
    warmUp();
    $before = places($workdir);
    $pair = function_exists('pcntl_fork') ? stream_socket_pair(STREAM_PF_UNIX, STREAM_SOCK_STREAM, STREAM_IPPROTO_IP) : false;
    $child = $pair === false ? -1 : pcntl_fork();
    if ($child === -1) {
        return runPhase($channel, $guard, $testsFile, $workdir, false);
    }
    if ($child === 0) {
        fclose($pair[0]);
        $harness = null;
        $status = runPhase($channel, $guard, $testsFile, $workdir, false, $harness);
        $clean = $status === 0 && $harness !== null && $harness->cases > 0 && $harness->passed === $harness->cases;
        fwrite($pair[1], $channel->seq . ($clean ? ' clean' : ' not'));
        fclose($pair[1]);
        return $status;
    }
    fclose($pair[1]);
    while (pcntl_waitpid($child, $wait) === -1 && pcntl_get_last_error() === PCNTL_EINTR) {
    }
    // What the child said before it ended (a process it started may hold the socket open).
    stream_set_blocking($pair[0], false);
    $said = (string) fread($pair[0], 64);
    fclose($pair[0]);
    if (!pcntl_wifexited($wait)) {
        $signal = pcntl_wifsignaled($wait) ? pcntl_wtermsig($wait) : SIGKILL;
        posix_kill(getmypid(), $signal); // ended as the child was: the verdict reads the signal
        return 128 + $signal;
    }
    $status = pcntl_wexitstatus($wait);
    if ($status !== 0 || !preg_match('/^(\d+) clean$/', $said, $m) || leftBehind($workdir, $before) !== null) {
        return $status;
    }
    $channel->seq = (int) $m[1];
    $channel->send(['t' => 'next']);
    foreach ($next as $name => $data) {
        file_put_contents($workdir . $name, $data);
    }
    // Its output goes nowhere: what PHP prints, and its warnings (a test's direct writes to
    // STDOUT or STDERR excepted).
    ini_set('display_errors', '0');
    ob_start(fn () => '');
    return runPhase($channel, $guard, $testsFile, $workdir, true);
}
