<?php
// The PHP zygote: a warm PHP with PHPUnit and assay's harness loaded, which forks each PHP run of
// a worker instead of starting PHP afresh (sandbox/isolation/zygote.py starts and drives it).
//
// Trusted side: it never runs any of a sample's code itself. It runs as root, outside the pid
// namespace of the worker's front (no sample can see, signal or trace it), in the front's mount
// namespace and slot cgroup; its children are born in the front's pid namespace, where the
// front's kill(-1) ends them as it ends any run's processes. Per run, the forked runner, while
// still trusted:
//   - joins the front's current network and IPC namespaces (fresh for each sample),
//   - opens the run's three pipes through the front's /proc/1/fd, tells the zygote's client it
//     holds them, and makes them its stdout, stderr and result channel (stdin: /dev/null),
//     closing every other descriptor,
//   - takes the run's rlimits and its own session, first in line for the OOM killer,
//   - drops to the sample's uid and gid with no supplementary groups (no capability is left:
//     checked), under the no_new_privs the zygote inherited,
// then becomes the sample's run: the harness's main() in the work dir. The zygote reaps it and
// reports its wait status and resource use.
//
// Protocol: requests on stdin, one JSON object a line; replies on stdout, one a line:
//   "R"                                   ready (after start-up)
//   "A <pid>"                             from the runner: it holds the run's pipes
//   "X <json: status, maxrss_kb, cpu_s>"  the runner was reaped
declare(strict_types=1);

namespace Assay\Zygote;

const CLONE_NEWNS = 0x00020000;
const CLONE_NEWIPC = 0x08000000;
const CLONE_NEWPID = 0x20000000;
const CLONE_NEWNET = 0x40000000;
const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CLOEXEC = 0x80000;
const PR_SET_PDEATHSIG = 1;
const PR_SET_DUMPABLE = 4;
const SIGKILL = 9;
const HARNESS = 'assay_phpunit.php';

define('ASSAY_ZYGOTE', true);
require __DIR__ . '/box/assay_phpunit.php';

function fail(string $why): never
{
    fwrite(STDERR, "assay PHP zygote: $why\n");
    exit(70);
}

/** @return object the libc calls PHP has no function for */
function libc(): object
{
    return \FFI::cdef(
        'int open(const char *path, int flags, ...); int close(int fd); int dup2(int old, int new);'
        . ' int setns(int fd, int nstype); int setgroups(size_t size, const void *list);'
        . ' int close_range(unsigned int first, unsigned int last, int flags);'
        . ' int prctl(int option, unsigned long a2, unsigned long a3, unsigned long a4, unsigned long a5);'
        . ' void _exit(int status);',
        'libc.so.6'
    );
}

function enterNamespace(object $libc, string $path, int $type): bool
{
    $fd = $libc->open($path, O_RDONLY | O_CLOEXEC);
    if ($fd < 0) {
        return false;
    }
    $ok = $libc->setns($fd, $type) === 0;
    $libc->close($fd);
    return $ok;
}

/** No capability left in any set that could act (after the uid change). */
function powerless(): bool
{
    $status = (string) @file_get_contents('/proc/self/status');
    foreach (['CapInh', 'CapPrm', 'CapEff', 'CapAmb'] as $set) {
        if (!preg_match("/^$set:\\s*([0-9a-f]+)$/m", $status, $m) || hexdec($m[1]) !== 0) {
            return false;
        }
    }
    return true;
}

/**
 * In the forked runner: the run's namespaces, streams, limits and uid, then the harness.
 * @param array<string, mixed> $run
 */
function becomeRunner(object $libc, array $run, int $uid, int $gid, \Assay\Harness\Guard $guard): int
{
    $step = 'the namespaces';
    $ok = enterNamespace($libc, '/proc/1/ns/net', CLONE_NEWNET)
        && enterNamespace($libc, '/proc/1/ns/ipc', CLONE_NEWIPC);
    if ($ok) {
        $step = 'the pipes';
        @file_put_contents('/proc/self/oom_score_adj', '1000');
        $fds = [];
        foreach ($run['fds'] as $fd) {
            $fds[] = $libc->open('/proc/1/fd/' . (int) $fd, O_WRONLY | O_CLOEXEC);
        }
        $null = $libc->open('/dev/null', O_RDWR | O_CLOEXEC);
        $ok = min([...$fds, $null]) >= 0;
    }
    if ($ok) {
        fwrite(STDOUT, 'A ' . posix_getpid() . "\n");
        fflush(STDOUT);
        $step = 'the descriptors';
        [$result, $out, $err] = $fds;
        $ok = posix_setsid() !== -1
            && $libc->dup2($null, 0) === 0 && $libc->dup2($out, 1) === 1
            && $libc->dup2($err, 2) === 2 && $libc->dup2($result, 3) === 3
            && $libc->close_range(4, 0xFFFFFFFF, 0) === 0;
    }
    if ($ok) {
        $step = 'the limits';
        foreach ($run['rlimits'] as [$which, $soft, $hard]) {
            $ok = $ok && posix_setrlimit((int) $which, (int) $soft, (int) $hard);
        }
    }
    if ($ok) {
        $step = 'the uid';
        // The uid change cleared the parent-death signal and made the process undumpable: set
        // again, as a program executed after the change would have them (its /proc its own).
        $ok = $libc->setgroups(0, null) === 0 && posix_setgid($gid) && posix_setuid($uid)
            && posix_getuid() === $uid && posix_geteuid() === $uid && powerless()
            && $libc->prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) === 0
            && $libc->prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) === 0;
    }
    if ($ok) {
        $step = 'the work dir';
        $ok = chdir((string) $run['cwd']);
    }
    if (!$ok) {
        fwrite(STDERR, "assay PHP zygote: the runner could not set up $step\n");
        return 71;
    }
    unset($fds, $libc);
    // As PHP started on the harness would see itself.
    $args = array_map('strval', $run['args']);
    $script = $run['cwd'] . '/' . HARNESS;
    $_SERVER['argv'] = $GLOBALS['argv'] = [HARNESS, ...$args];
    $_SERVER['argc'] = $GLOBALS['argc'] = count($args) + 1;
    $_SERVER['SCRIPT_FILENAME'] = $_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = $script;
    $_SERVER['PATH_TRANSLATED'] = $script;
    return \Assay\Harness\main($args, (string) $run['token'], $guard);
}

/**
 * A run that returned (the harness reported its end): its output flushed, then _exit. PHP's own
 * exit would tear its whole heap down, and every page of it the runner shares with the zygote
 * would be copied first (~5 ms a process). The sample's shutdown functions and the destructors
 * of objects still alive do not run; a run that calls exit() ends as PHP ends.
 */
function finish(object $libc, int $status): never
{
    while (ob_get_level() > 0 && @ob_end_flush()) {
    }
    fflush(STDOUT);
    fflush(STDERR);
    $libc->_exit($status);
    exit($status); // not reached
}

/** @return array{0: int, 1: array<string, int>} the wait status and resource use of $pid */
function reap(int $pid): array
{
    $usage = [];
    while (pcntl_waitpid($pid, $status, 0, $usage) === -1) {
        if (pcntl_get_last_error() !== PCNTL_EINTR) {
            return [-1, []];
        }
    }
    return [(int) $status, $usage];
}

function serve(array $argv): int
{
    [$front, $uid, $gid] = array_map('intval', array_slice($argv, 1, 3));
    if ($front <= 0 || $uid <= 0 || $gid <= 0) {
        fail('usage: zygote.php FRONT_PID UID GID');
    }
    $libc = libc();
    // What a run of tests loads, loaded once (PHPUnit runs a test of its own), and the guard that
    // knows it as trusted: every run starts from here.
    $guard = \Assay\Harness\guard();
    \Assay\Harness\warmUp();
    $guard->tampered();
    // Children from now on are born in the front's pid namespace; this process joins its mounts.
    if (!enterNamespace($libc, "/proc/$front/ns/pid", CLONE_NEWPID)
        || !enterNamespace($libc, "/proc/$front/ns/mnt", CLONE_NEWNS) || !chdir('/')) {
        fail("cannot enter the namespaces of process $front");
    }
    gc_collect_cycles();
    fwrite(STDOUT, "R\n");
    fflush(STDOUT);
    while (($line = fgets(STDIN)) !== false) {
        $run = json_decode($line, true);
        if (!is_array($run) || !isset($run['fds'], $run['rlimits'], $run['cwd'], $run['args'], $run['token'])) {
            fail('a request it cannot read');
        }
        $pid = pcntl_fork();
        if ($pid === -1) {
            fwrite(STDOUT, 'X ' . json_encode(['status' => null, 'error' => 'fork failed']) . "\n");
            fflush(STDOUT);
            continue;
        }
        if ($pid === 0) {
            finish($libc, becomeRunner($libc, $run, $uid, $gid, $guard));
        }
        [$status, $usage] = reap($pid);
        $cpu = ($usage['ru_utime.tv_sec'] ?? 0) + ($usage['ru_utime.tv_usec'] ?? 0) / 1e6
            + ($usage['ru_stime.tv_sec'] ?? 0) + ($usage['ru_stime.tv_usec'] ?? 0) / 1e6;
        $reply = ['status' => $status < 0 ? null : $status, 'maxrss_kb' => $usage['ru_maxrss'] ?? 0, 'cpu_s' => round($cpu, 4)];
        fwrite(STDOUT, 'X ' . json_encode($reply) . "\n");
        fflush(STDOUT);
    }
    return 0;
}

exit(serve($_SERVER['argv'] ?? []));
