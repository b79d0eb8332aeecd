// The node zygote's native part: an N-API addon that zygote.js loads (sandbox/languages/javascript/
// zygote.py builds it into the box cache). Trusted side: it runs as root in the zygote, and in a
// forked runner until the runner is the sample's.
//
// Node has no fork(): V8 marks its heap MADV_DONTFORK (a plain fork's child dies at its first
// JavaScript), the event loop's epoll instance would be shared with the zygote, and node's own
// threads (V8's platform, the inspector's) are not in the child. So `fork` makes every mapping
// MADV_DOFORK first, and the child re-creates libuv's loop (uv_loop_fork); node runs with V8's
// --single-threaded, so no JavaScript work waits on a thread the child lacks; and the child never
// tears node down (that joins those threads): it leaves by _exit, from `exit` (the harness's
// process.reallyExit) or from an environment clean-up hook when its event loop ran dry.
//
// N-API is declared here, not included: it is a stable C ABI that every node exports, and a
// header package is one dependency less.
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <grp.h>

typedef struct napi_env__ *napi_env;
typedef struct napi_value__ *napi_value;
typedef struct napi_callback_info__ *napi_callback_info;
typedef int napi_status;
typedef napi_value (*napi_callback)(napi_env, napi_callback_info);
struct uv_loop_s;
extern napi_status napi_create_function(napi_env, const char *, size_t, napi_callback, void *,
                                        napi_value *);
extern napi_status napi_set_named_property(napi_env, napi_value, const char *, napi_value);
extern napi_status napi_get_cb_info(napi_env, napi_callback_info, size_t *, napi_value *,
                                    napi_value *, void **);
extern napi_status napi_get_value_int32(napi_env, napi_value, int32_t *);
extern napi_status napi_get_value_string_utf8(napi_env, napi_value, char *, size_t, size_t *);
extern napi_status napi_create_int32(napi_env, int32_t, napi_value *);
extern napi_status napi_create_string_utf8(napi_env, const char *, size_t, napi_value *);
extern napi_status napi_get_undefined(napi_env, napi_value *);
extern napi_status napi_get_uv_event_loop(napi_env, struct uv_loop_s **);
extern napi_status napi_add_env_cleanup_hook(napi_env, void (*)(void *), void *);
extern int uv_loop_fork(struct uv_loop_s *);

enum { RESULT_FD = 3, TOKEN_FD = 4, MAX_LIMITS = 16 };

static int mnt_ns = -1;     // the front's mount namespace, which a runner enters
static int exit_status = 0; // the runner's exit code as node last reported it
static int hooked = 0;      // whether `ended` is an environment clean-up hook of this process

static napi_value string(napi_env env, const char *text) {
  napi_value out;
  if (text == NULL) {
    napi_get_undefined(env, &out);
  } else {
    napi_create_string_utf8(env, text, strlen(text), &out);
  }
  return out;
}

static napi_value integer(napi_env env, int32_t value) {
  napi_value out;
  napi_create_int32(env, value, &out);
  return out;
}

// The first argument, as an int32 (0 if there is none).
static int32_t int_arg(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t value = 0;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) == 0 && argc >= 1) {
    napi_get_value_int32(env, argv[0], &value);
  }
  return value;
}

// The first argument, as a string into buf; -1 if there is none or it does not fit.
static int string_arg(napi_env env, napi_callback_info info, char *buf, size_t size) {
  size_t argc = 1, length = 0;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != 0 || argc < 1) return -1;
  if (napi_get_value_string_utf8(env, argv[0], buf, size, &length) != 0) return -1;
  return length + 1 < size ? 0 : -1;
}

static int enter_ns(const char *path, int type) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  int ok = setns(fd, type);
  close(fd);
  return ok;
}

// enter(front): in the zygote, once: children from now on are born in the front's pid namespace;
// its mount namespace kept open for each runner to enter (a process with threads cannot).
static napi_value js_enter(napi_env env, napi_callback_info info) {
  char path[64];
  int32_t front = int_arg(env, info);
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)front);
  mnt_ns = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)front);
  if (front <= 0 || mnt_ns < 0 || enter_ns(path, CLONE_NEWPID) != 0) return string(env, strerror(errno));
  return string(env, NULL);
}

enum { MAX_FDS = 256 };

// Whether descriptor `fd` is a pipe, and its inode number if so.
static int is_pipe(int fd, unsigned long *inode) {
  char link[64], target[64];
  snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
  ssize_t n = readlink(link, target, sizeof target - 1);
  target[n < 0 ? 0 : n] = '\0';
  return sscanf(target, "pipe:[%lu]", inode) == 1;
}

// The descriptors above the run's but `except`, at most MAX_FDS of them (-1 past it).
static int open_fds(int *fds, int except) {
  DIR *dir = opendir("/proc/self/fd");
  if (dir == NULL) return -1;
  int count = 0;
  struct dirent *entry;
  while ((entry = readdir(dir)) != NULL) {
    int fd = atoi(entry->d_name);
    if (fd <= TOKEN_FD || fd == dirfd(dir) || fd == except) continue;
    if (count == MAX_FDS) {
      count = -1;
      break;
    }
    fds[count++] = fd;
  }
  closedir(dir);
  return count;
}

// The pipes among this process's descriptors above the run's: their inode numbers (-1: too
// many descriptors).
static int pipe_inodes(unsigned long *inodes) {
  int fds[MAX_FDS], count = open_fds(fds, -1), pipes = 0;
  for (int i = 0; i < count; i++) pipes += is_pipe(fds[i], &inodes[pipes]);
  return count < 0 ? -1 : pipes;
}

// In the child, before its event loop is made its own: every descriptor above the run's goes
// but `keep`, the mount namespace's and the pipes made since the fork (libuv's signal lock, which its
// fork handler made anew). What goes is the zygote's: its event loops' epoll instances, eventfds
// and pipes (the main loop's are made again next, the others belong to threads the child has
// not), and anything else node holds. None of them is for a sample to reach.
static int close_inherited(const unsigned long *shared, int count, int keep) {
  int fds[MAX_FDS], open = open_fds(fds, mnt_ns);
  for (int i = 0; i < open; i++) {
    if (fds[i] == keep) continue;
    unsigned long inode;
    int made_here = is_pipe(fds[i], &inode);
    for (int j = 0; made_here && j < count; j++) made_here = shared[j] != inode;
    if (!made_here) close(fds[i]);
  }
  return open < 0 ? -1 : 0;
}

static void ended(void *unused) {
  (void)unused;
  _exit(exit_status);
}

// fork(keep): the child's pid, 0 in the child (its event loop its own), -1 if there is none; the
// child keeps descriptor `keep` (a runner's handoff pipe), if any. Every private mapping is
// inherited; a writable shared one (node makes none) would let a child write into the zygote:
// there is no fork then.
static napi_value js_fork(napi_env env, napi_callback_info info) {
  int keep = int_arg(env, info);
  unsigned long shared[MAX_FDS];
  int count = pipe_inodes(shared), writable_shared = 0;
  FILE *maps = fopen("/proc/self/maps", "re");
  if (maps == NULL || count < 0) {
    if (maps != NULL) fclose(maps);
    return integer(env, -1);
  }
  char *line = NULL;
  size_t size = 0;
  while (getline(&line, &size, maps) > 0) {
    unsigned long low, high;
    char perms[5];
    if (sscanf(line, "%lx-%lx %4s", &low, &high, perms) != 3) continue;
    if (perms[3] == 'p') {
      madvise((void *)low, high - low, MADV_DOFORK);
    } else if (perms[1] == 'w') {
      writable_shared = 1;
    }
  }
  free(line);
  fclose(maps);
  if (writable_shared) return integer(env, -1);
  pid_t pid = fork();
  if (pid == 0) {
    struct uv_loop_s *loop;
    if (close_inherited(shared, count, keep) != 0 || napi_get_uv_event_loop(env, &loop) != 0 ||
        uv_loop_fork(loop) != 0 || (!hooked && napi_add_env_cleanup_hook(env, ended, NULL) != 0)) {
      _exit(71);
    }
    hooked = 1; // a runner's own fork (the harness's) inherits it
  }
  return integer(env, pid);
}

// pipe(): "READ WRITE", a pipe (both ends close on exec, the read end non-blocking), or undefined.
// A runner's child says through it how its run ended (the harness's assay_next_phase.js).
static napi_value js_pipe(napi_env env, napi_callback_info info) {
  (void)info;
  int p[2];
  char out[32];
  if (pipe2(p, O_CLOEXEC) != 0) return string(env, NULL);
  if (fcntl(p[0], F_SETFL, O_NONBLOCK) != 0) {
    close(p[0]);
    close(p[1]);
    return string(env, NULL);
  }
  snprintf(out, sizeof out, "%d %d", p[0], p[1]);
  return string(env, out);
}

static int powerless(void) {
  FILE *status = fopen("/proc/self/status", "re");
  if (status == NULL) return 0;
  char line[256];
  int zero = 0;
  while (fgets(line, sizeof line, status)) {
    static const char *sets[] = {"CapInh:", "CapPrm:", "CapEff:", "CapAmb:"};
    for (int i = 0; i < 4; i++) {
      if (strncmp(line, sets[i], strlen(sets[i])) == 0) {
        zero += strtoull(line + strlen(sets[i]), NULL, 16) == 0;
      }
    }
  }
  fclose(status);
  return zero == 4;
}

// become("RESULT OUT ERR UID GID N WHICH SOFT HARD ... TOKEN"): in a forked runner, while it is
// still trusted, what the front does for its own runners (zygote.py says what and why). The
// pipes are the front's descriptors; a limit of -1 is none. Returns the step that failed, or
// undefined.
static napi_value js_become(napi_env env, napi_callback_info info) {
  char spec[1024], token[64];
  long long v[5 + 1 + 3 * MAX_LIMITS];
  int used = 0, count = 0;
  if (string_arg(env, info, spec, sizeof spec) != 0) return string(env, "its request");
  char *at = spec;
  while (count < 6 || (count < 6 + 3 * v[5] && count < (int)(sizeof v / sizeof *v))) {
    char *end;
    v[count++] = strtoll(at, &end, 10);
    if (end == at || (count == 6 && (v[5] < 0 || v[5] > MAX_LIMITS))) return string(env, "its request");
    at = end;
  }
  if (sscanf(at, " %63s%n", token, &used) != 1 || at[used] != '\0') return string(env, "its request");

  int entered = setns(mnt_ns, CLONE_NEWNS);
  close(mnt_ns);
  mnt_ns = -1;
  if (entered != 0 || chdir("/") != 0 ||
      enter_ns("/proc/1/ns/net", CLONE_NEWNET) != 0 || enter_ns("/proc/1/ns/ipc", CLONE_NEWIPC) != 0) {
    return string(env, "the namespaces");
  }
  int adjust = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (adjust >= 0) {
    (void)!write(adjust, "1000", 4);
    close(adjust);
  }
  int pipes[3], null = open("/dev/null", O_RDWR | O_CLOEXEC), token_pipe[2];
  for (int i = 0; i < 3; i++) {
    char path[64];
    snprintf(path, sizeof path, "/proc/1/fd/%lld", v[i]);
    pipes[i] = open(path, O_WRONLY | O_CLOEXEC);
    if (pipes[i] < 0) return string(env, "the pipes");
  }
  size_t length = strlen(token);
  if (null < 0 || pipe2(token_pipe, O_CLOEXEC) != 0 ||
      write(token_pipe[1], token, length) != (ssize_t)length || close(token_pipe[1]) != 0) {
    return string(env, "the pipes");
  }
  char attached[32];
  int n = snprintf(attached, sizeof attached, "A %d\n", (int)getpid());
  if (write(1, attached, n) != n) return string(env, "the pipes");

  if (setsid() < 0 || dup2(null, 0) != 0 || dup2(pipes[1], 1) != 1 || dup2(pipes[2], 2) != 2 ||
      dup2(pipes[0], RESULT_FD) != RESULT_FD || dup2(token_pipe[0], TOKEN_FD) != TOKEN_FD) {
    return string(env, "the descriptors");
  }
  int opened[] = {pipes[0], pipes[1], pipes[2], null, token_pipe[0]};
  for (int i = 0; i < 5; i++) {
    if (opened[i] > TOKEN_FD) close(opened[i]);
  }
  for (int i = 0; i < v[5]; i++) {
    long long *limit = &v[6 + 3 * i];
    struct rlimit rl = {limit[1] < 0 ? RLIM_INFINITY : (rlim_t)limit[1],
                        limit[2] < 0 ? RLIM_INFINITY : (rlim_t)limit[2]};
    if (setrlimit((int)limit[0], &rl) != 0) return string(env, "the limits");
  }
  // The uid change cleared the parent-death signal and made the process undumpable: set again,
  // as a program executed after the change would have them (its /proc its own).
  uid_t uid = (uid_t)v[3];
  gid_t gid = (gid_t)v[4];
  if (uid == 0 || gid == 0 || setgroups(0, NULL) != 0 || setresgid(gid, gid, gid) != 0 ||
      setresuid(uid, uid, uid) != 0 || getuid() != uid || geteuid() != uid || !powerless() ||
      prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) != 0 || prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) != 0) {
    return string(env, "the uid");
  }
  return string(env, NULL);
}

// wait(pid): the runner's wait status and resource use, as the "X" reply's JSON.
static napi_value js_wait(napi_env env, napi_callback_info info) {
  pid_t pid = int_arg(env, info);
  int status = 0;
  struct rusage usage;
  char out[160];
  while (wait4(pid, &status, 0, &usage) < 0) {
    if (errno != EINTR) {
      snprintf(out, sizeof out, "{\"status\":null,\"error\":\"%s\"}", strerror(errno));
      return string(env, out);
    }
  }
  double cpu = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 + usage.ru_stime.tv_sec +
               usage.ru_stime.tv_usec / 1e6;
  snprintf(out, sizeof out, "{\"status\":%d,\"maxrss_kb\":%ld,\"cpu_s\":%.4f}", status,
           usage.ru_maxrss, cpu);
  return string(env, out);
}

// status(code): the exit code a runner whose event loop ran dry leaves with.
static napi_value js_status(napi_env env, napi_callback_info info) {
  exit_status = int_arg(env, info);
  return string(env, NULL);
}

// pids(): "PID PPID" of this process, which node noted once, at its start (the zygote's).
static napi_value js_pids(napi_env env, napi_callback_info info) {
  (void)info;
  char out[32];
  snprintf(out, sizeof out, "%d %d", (int)getpid(), (int)getppid());
  return string(env, out);
}

// exit(code): the runner ends now, without node's teardown.
static napi_value js_exit(napi_env env, napi_callback_info info) {
  _exit(int_arg(env, info) & 0xff);
}

napi_value napi_register_module_v1(napi_env env, napi_value exports) {
  static const struct {
    const char *name;
    napi_callback fn;
  } table[] = {{"enter", js_enter}, {"fork", js_fork},     {"become", js_become},
               {"wait", js_wait},   {"status", js_status}, {"exit", js_exit},
               {"pids", js_pids},   {"pipe", js_pipe}};
  for (size_t i = 0; i < sizeof table / sizeof *table; i++) {
    napi_value fn;
    napi_create_function(env, table[i].name, strlen(table[i].name), table[i].fn, NULL, &fn);
    napi_set_named_property(env, exports, table[i].name, fn);
  }
  return exports;
}
