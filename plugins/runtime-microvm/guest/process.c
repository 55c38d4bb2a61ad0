/* skiff guest agent: starting containers and execs in their namespaces. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "agent.h"

extern char **environ;

static struct proc procs[MAX_PROCS];

struct proc *proc_table(void) { return procs; }

struct proc *proc_by_id(uint32_t id) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && procs[i].id == id) return &procs[i];
  return NULL;
}

struct proc *proc_by_name(const char *name) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && procs[i].is_container && strcmp(procs[i].name, name) == 0)
      return &procs[i];
  return NULL;
}

struct proc *proc_by_pid(pid_t pid) {
  for (int i = 0; i < MAX_PROCS; i++)
    if (procs[i].used && procs[i].running && procs[i].pid == pid) return &procs[i];
  return NULL;
}

static struct proc *proc_alloc(void) {
  for (int i = 0; i < MAX_PROCS; i++) {
    if (!procs[i].used) {
      memset(&procs[i], 0, sizeof procs[i]);
      procs[i].used = 1;
      procs[i].out_fd = procs[i].err_fd = procs[i].in_fd = -1;
      return &procs[i];
    }
  }
  return NULL;
}

void proc_free(struct proc *p) {
  if (p->out_fd >= 0) close(p->out_fd);
  if (p->err_fd >= 0) close(p->err_fd);
  if (p->in_fd >= 0) close(p->in_fd);
  free(p->stdin_queue.data);
  memset(p, 0, sizeof *p);
}

long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void agent_log(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("skiff-agent: ", stderr);
  vfprintf(stderr, fmt, ap);
  fputc('\n', stderr);
  va_end(ap);
}

static unsigned short parse_dim(const char *v) {
  if (v == NULL) return 0;
  long n = strtol(v, NULL, 10);
  return (n > 0 && n < 65536) ? (unsigned short)n : 0;
}

/* spec_from_fields reads CREATE or EXEC fields; on a bad request it writes err and returns -1. */
int spec_from_fields(const struct fields *f, struct process_spec *spec, int is_create, char *err,
                     size_t errlen) {
  memset(spec, 0, sizeof *spec);
  spec->cwd = "/";
  spec->uid = spec->gid = -1;
  for (size_t i = 0; i < f->count; i++) {
    const char *k = f->items[i].key, *v = f->items[i].value;
    if (strcmp(k, "arg") == 0) {
      if (spec->argc >= MAX_ARGS) return snprintf(err, errlen, "more than %d args", MAX_ARGS), -1;
      spec->argv[spec->argc++] = v;
    } else if (strcmp(k, "env") == 0) {
      if (spec->envc >= MAX_ENV) return snprintf(err, errlen, "more than %d env", MAX_ENV), -1;
      if (strchr(v, '=') == NULL) return snprintf(err, errlen, "env %.64s has no =", v), -1;
      spec->envp[spec->envc++] = v;
    } else if (strcmp(k, "cwd") == 0) {
      spec->cwd = v;
    } else if (strcmp(k, "stdin") == 0) {
      spec->open_stdin = strcmp(v, "1") == 0;
    } else if (strcmp(k, "tty") == 0) {
      spec->tty = strcmp(v, "1") == 0;
    } else if (strcmp(k, "uid") == 0 || strcmp(k, "gid") == 0 || strcmp(k, "group") == 0) {
      char *end = NULL;
      errno = 0;
      unsigned long n = strtoul(v, &end, 10);
      if (errno != 0 || *v == '\0' || *end != '\0' || n >= 0xffffffffUL)
        return snprintf(err, errlen, "%s %.32s is not a user or group number", k, v), -1;
      if (k[0] == 'u') spec->uid = (long long)n;
      else if (k[1] == 'i') spec->gid = (long long)n;
      else if (spec->ngroups >= MAX_GROUPS)
        return snprintf(err, errlen, "more than %d groups", MAX_GROUPS), -1;
      else spec->groups[spec->ngroups++] = (unsigned int)n;
    } else if (strcmp(k, "rows") == 0) {
      spec->rows = parse_dim(v);
    } else if (strcmp(k, "cols") == 0) {
      spec->cols = parse_dim(v);
    } else if (is_create && strcmp(k, "container") == 0) {
      spec->name = v;
    } else if (is_create && strcmp(k, "rootfs") == 0) {
      spec->rootfs = v;
    } else if (is_create && strcmp(k, "cpu.max") == 0) {
      spec->cpu_max = v;
    } else if (is_create && strcmp(k, "memory.max") == 0) {
      spec->memory_max = v;
    } else if (is_create && strcmp(k, "mount") == 0) {
      if (spec->nmounts >= MAX_MOUNTS)
        return snprintf(err, errlen, "more than %d mounts", MAX_MOUNTS), -1;
      struct mount_spec *m = &spec->mounts[spec->nmounts];
      /* ro:SOURCE:DEST — the value is ours to cut: it lives in the request buffer. */
      char *mode = (char *)v;
      char *src = strchr(mode, ':');
      char *dst = src ? strchr(src + 1, ':') : NULL;
      if (dst == NULL) return snprintf(err, errlen, "mount %.64s is not MODE:SOURCE:DEST", v), -1;
      *src++ = '\0';
      *dst++ = '\0';
      if (strcmp(mode, "ro") != 0 && strcmp(mode, "rw") != 0)
        return snprintf(err, errlen, "mount mode %.8s is neither ro nor rw", mode), -1;
      if (!valid_relative_path(src) || !valid_absolute_path(dst))
        return snprintf(err, errlen, "mount %.64s:%.64s has a bad path", src, dst), -1;
      m->readonly = mode[1] == 'o';
      m->source = src;
      m->dest = dst;
      spec->nmounts++;
    }
  }
  if (spec->argc == 0) return snprintf(err, errlen, "no arg given"), -1;
  if (!valid_absolute_path(spec->cwd)) return snprintf(err, errlen, "cwd must be absolute"), -1;
  if (is_create) {
    if (spec->name == NULL || !valid_name(spec->name))
      return snprintf(err, errlen, "container name must be 1-128 of [A-Za-z0-9_.-]"), -1;
    if (spec->rootfs == NULL || !valid_relative_path(spec->rootfs))
      return snprintf(err, errlen, "rootfs must be a relative path without .., : or ,"), -1;
  }
  return 0;
}

/* Child side: stdio, working directory, environment, then exec. */
static void __attribute__((noreturn)) exec_process(int errfd, const struct process_spec *spec,
                                                  int in, int out, int err, int tty) {
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, NULL);
  signal(SIGPIPE, SIG_DFL);
  setsid();
  if (tty && ioctl(out, TIOCSCTTY, 0) < 0) child_fail(errfd, "set terminal: %s", strerror(errno));
  if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0)
    child_fail(errfd, "stdio: %s", strerror(errno));
  if (chdir(spec->cwd) < 0) {
    if (mkdir_p(spec->cwd, 0755) < 0 || chdir(spec->cwd) < 0)
      child_fail(errfd, "cwd %s: %s", spec->cwd, strerror(errno));
  }
  /* Groups, then group, then user: once the user is not root the others cannot change. */
  if (spec->gid >= 0 || spec->uid >= 0 || spec->ngroups > 0) {
    gid_t groups[MAX_GROUPS];
    for (size_t i = 0; i < spec->ngroups; i++) groups[i] = (gid_t)spec->groups[i];
    if (setgroups(spec->ngroups, groups) < 0) child_fail(errfd, "setgroups: %s", strerror(errno));
  }
  if (spec->gid >= 0 && setgid((gid_t)spec->gid) < 0)
    child_fail(errfd, "setgid %lld: %s", spec->gid, strerror(errno));
  if (spec->uid >= 0 && setuid((uid_t)spec->uid) < 0)
    child_fail(errfd, "setuid %lld: %s", spec->uid, strerror(errno));
  environ = (char **)spec->envp;
  execvp(spec->argv[0], (char *const *)spec->argv);
  child_fail(errfd, "exec %s: %s", spec->argv[0], strerror(errno));
}

struct stdio_fds {
  int child_in, child_out, child_err; /* the process's ends */
  int in, out, err;                   /* the agent's ends (-1 when absent) */
};

static void close_fd(int *fd) {
  if (*fd >= 0) close(*fd);
  *fd = -1;
}

static void stdio_close_all(struct stdio_fds *s) {
  close_fd(&s->child_in);
  close_fd(&s->child_out);
  close_fd(&s->child_err);
  close_fd(&s->in);
  close_fd(&s->out);
  close_fd(&s->err);
}

/* open_stdio makes pipes (or a terminal) for a process; the agent's ends are non-blocking. */
static int open_stdio(const struct process_spec *spec, struct stdio_fds *s, char *err,
                      size_t errlen) {
  int fds[2];
  s->child_in = s->child_out = s->child_err = s->in = s->out = s->err = -1;
  if (spec->tty) {
    int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    char name[64];
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
        ptsname_r(master, name, sizeof name) != 0) {
      snprintf(err, errlen, "terminal: %s", strerror(errno));
      if (master >= 0) close(master);
      return -1;
    }
    int slave = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (slave < 0) {
      snprintf(err, errlen, "terminal %s: %s", name, strerror(errno));
      close(master);
      return -1;
    }
    if (spec->rows && spec->cols) {
      struct winsize ws = {.ws_row = spec->rows, .ws_col = spec->cols};
      ioctl(master, TIOCSWINSZ, &ws);
    }
    fcntl(master, F_SETFL, O_NONBLOCK);
    s->out = master;
    s->in = spec->open_stdin ? dup(master) : -1;
    if (s->in >= 0) fcntl(s->in, F_SETFD, FD_CLOEXEC);
    s->child_in = slave;
    s->child_out = dup(slave);
    s->child_err = dup(slave);
    fcntl(s->child_out, F_SETFD, FD_CLOEXEC);
    fcntl(s->child_err, F_SETFD, FD_CLOEXEC);
    return 0;
  }
  if (spec->open_stdin) {
    if (pipe2(fds, O_CLOEXEC) < 0) goto fail;
    s->child_in = fds[0];
    s->in = fds[1];
    fcntl(s->in, F_SETFL, O_NONBLOCK);
  } else {
    s->child_in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (s->child_in < 0) goto fail;
  }
  if (pipe2(fds, O_CLOEXEC) < 0) goto fail;
  s->out = fds[0];
  s->child_out = fds[1];
  if (pipe2(fds, O_CLOEXEC) < 0) goto fail;
  s->err = fds[0];
  s->child_err = fds[1];
  fcntl(s->out, F_SETFL, O_NONBLOCK);
  fcntl(s->err, F_SETFL, O_NONBLOCK);
  return 0;
fail:
  snprintf(err, errlen, "pipes: %s", strerror(errno));
  stdio_close_all(s);
  return -1;
}

/* wait_started reads the error pipe until the child execs (EOF) or reports a failure. */
static int wait_started(int errfd, pid_t pid, char *err, size_t errlen) {
  char msg[512];
  size_t got = 0;
  for (;;) {
    ssize_t n = read(errfd, msg + got, sizeof msg - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
    if (got >= sizeof msg - 1) break;
  }
  close(errfd);
  if (got == 0) return 0;
  msg[got] = '\0';
  snprintf(err, errlen, "%s", msg);
  waitpid(pid, NULL, 0);
  return -1;
}

static const char *setup_code(const char *msg) {
  return strncmp(msg, "exec ", 5) == 0 || strncmp(msg, "cwd ", 4) == 0 ||
                 strncmp(msg, "mount source ", 13) == 0
             ? "Invalid"
             : "InternalError";
}

int start_container(uint32_t id, struct process_spec *spec, const char **code, char *err,
                    size_t errlen) {
  char dir[MAX_PATH_LEN + 64], upper[MAX_PATH_LEN + 80], work[MAX_PATH_LEN + 80],
      root[MAX_PATH_LEN + 80], lower[MAX_PATH_LEN + 64], opts[3 * MAX_PATH_LEN + 256];
  struct stat st;
  *code = "InternalError";
  snprintf(lower, sizeof lower, "%s/%s", SHARE_DIR, spec->rootfs);
  if (stat(lower, &st) < 0 || !S_ISDIR(st.st_mode)) {
    *code = "Invalid";
    snprintf(err, errlen, "rootfs %s is not a directory in the share", spec->rootfs);
    return -1;
  }
  snprintf(dir, sizeof dir, "%s/%s", STATE_DIR, spec->name);
  snprintf(upper, sizeof upper, "%s/upper", dir);
  snprintf(work, sizeof work, "%s/work", dir);
  snprintf(root, sizeof root, "%s/root", dir);
  if (mkdir_p(upper, 0755) < 0 || mkdir_p(work, 0755) < 0 || mkdir_p(root, 0755) < 0) {
    snprintf(err, errlen, "state directory %s: %s", dir, strerror(errno));
    remove_container_files(spec->name);
    return -1;
  }
  snprintf(opts, sizeof opts, "lowerdir=%s,upperdir=%s,workdir=%s", lower, upper, work);
  if (mount("overlay", root, "overlay", 0, opts) < 0) {
    snprintf(err, errlen, "overlay root: %s", strerror(errno));
    remove_container_files(spec->name);
    return -1;
  }
  struct proc *p = proc_alloc();
  if (p == NULL) {
    snprintf(err, errlen, "too many processes");
    remove_container_files(spec->name);
    return -1;
  }
  struct stdio_fds s;
  int errpipe[2];
  if (open_stdio(spec, &s, err, errlen) < 0) {
    proc_free(p);
    remove_container_files(spec->name);
    return -1;
  }
  if (pipe2(errpipe, O_CLOEXEC) < 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    stdio_close_all(&s);
    proc_free(p);
    remove_container_files(spec->name);
    return -1;
  }
  /* Its own cgroup, joined by the child before it runs anything, so every process it makes
   * is counted; limits given at creation are in place before that. */
  int procs_fd = cgroup_prepare(spec->name);
  if ((spec->cpu_max || spec->memory_max) &&
      cgroup_update(spec->name, spec->cpu_max, spec->memory_max, err, errlen) < 0) {
    *code = "Invalid";
    if (procs_fd >= 0) close(procs_fd);
    close(errpipe[0]);
    close(errpipe[1]);
    stdio_close_all(&s);
    proc_free(p);
    remove_container_files(spec->name);
    return -1;
  }
  /* A raw clone without a new stack behaves like fork, into fresh mount and PID namespaces. */
  pid_t pid = (pid_t)syscall(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, NULL, NULL, NULL,
                             NULL);
  if (pid == 0) {
    close(errpipe[0]);
    cgroup_join(procs_fd);
    if (procs_fd >= 0) {
      close(procs_fd);
      if (unshare(CLONE_NEWCGROUP) < 0)
        child_fail(errpipe[1], "cgroup namespace: %s", strerror(errno));
    }
    setup_root(errpipe[1], root, spec);
    exec_process(errpipe[1], spec, s.child_in, s.child_out, s.child_err, spec->tty);
  }
  close(errpipe[1]);
  if (procs_fd >= 0) close(procs_fd);
  close_fd(&s.child_in);
  close_fd(&s.child_out);
  close_fd(&s.child_err);
  if (pid < 0) {
    snprintf(err, errlen, "clone: %s", strerror(errno));
    close(errpipe[0]);
  } else if (wait_started(errpipe[0], pid, err, errlen) == 0) {
    p->id = id;
    p->pid = pid;
    p->is_container = 1;
    p->running = 1;
    p->tty = spec->tty;
    p->out_fd = s.out;
    p->err_fd = s.err;
    p->in_fd = s.in;
    snprintf(p->name, sizeof p->name, "%s", spec->name);
    return 0;
  } else {
    *code = setup_code(err);
  }
  stdio_close_all(&s);
  proc_free(p);
  remove_container_files(spec->name);
  return -1;
}

int start_exec(uint32_t id, struct proc *c, struct process_spec *spec, long long timeout_s,
               const char **code, char *err, size_t errlen) {
  char path[64];
  int mntfd, pidfd, selfpid;
  *code = "InternalError";
  snprintf(path, sizeof path, "/proc/%d/ns/mnt", (int)c->pid);
  mntfd = open(path, O_RDONLY | O_CLOEXEC);
  snprintf(path, sizeof path, "/proc/%d/ns/pid", (int)c->pid);
  pidfd = open(path, O_RDONLY | O_CLOEXEC);
  selfpid = open("/proc/self/ns/pid", O_RDONLY | O_CLOEXEC);
  struct proc *p = NULL;
  struct stdio_fds s = {-1, -1, -1, -1, -1, -1};
  int errpipe[2] = {-1, -1};
  if (mntfd < 0 || pidfd < 0 || selfpid < 0) {
    *code = "FailedPrecondition";
    snprintf(err, errlen, "container %s namespaces: %s", c->name, strerror(errno));
    goto out;
  }
  if ((p = proc_alloc()) == NULL) {
    snprintf(err, errlen, "too many processes");
    goto out;
  }
  if (open_stdio(spec, &s, err, errlen) < 0) goto out;
  if (pipe2(errpipe, O_CLOEXEC) < 0) {
    snprintf(err, errlen, "pipe: %s", strerror(errno));
    goto out;
  }
  /* Children forked after this land in the container's PID namespace; the agent itself stays
   * where it is and switches back right after the fork. */
  if (setns(pidfd, CLONE_NEWPID) < 0) {
    snprintf(err, errlen, "enter PID namespace: %s", strerror(errno));
    goto out;
  }
  /* An exec is charged to its container and bound by its limits, as with runc. */
  int procs_fd = cgroup_prepare(c->name);
  pid_t pid = fork();
  if (pid == 0) {
    close(errpipe[0]);
    cgroup_join(procs_fd);
    if (setns(mntfd, CLONE_NEWNS) < 0)
      child_fail(errpipe[1], "enter mount namespace: %s", strerror(errno));
    exec_process(errpipe[1], spec, s.child_in, s.child_out, s.child_err, spec->tty);
  }
  int fork_errno = errno;
  if (procs_fd >= 0) close(procs_fd);
  if (setns(selfpid, CLONE_NEWPID) < 0) agent_log("return to own PID namespace: %s", strerror(errno));
  close_fd(&errpipe[1]);
  close_fd(&s.child_in);
  close_fd(&s.child_out);
  close_fd(&s.child_err);
  if (pid < 0) {
    *code = "FailedPrecondition";
    snprintf(err, errlen, "fork into container %s: %s", c->name, strerror(fork_errno));
    goto out;
  }
  int rc = wait_started(errpipe[0], pid, err, errlen);
  errpipe[0] = -1;
  if (rc < 0) {
    *code = setup_code(err);
    goto out;
  }
  p->id = id;
  p->pid = pid;
  p->running = 1;
  p->tty = spec->tty;
  p->out_fd = s.out;
  p->err_fd = s.err;
  p->in_fd = s.in;
  p->deadline_ms = timeout_s > 0 ? now_ms() + timeout_s * 1000 : 0;
  close(mntfd);
  close(pidfd);
  close(selfpid);
  return 0;
out:
  stdio_close_all(&s);
  close_fd(&errpipe[0]);
  close_fd(&errpipe[1]);
  if (p != NULL) proc_free(p);
  if (mntfd >= 0) close(mntfd);
  if (pidfd >= 0) close(pidfd);
  if (selfpid >= 0) close(selfpid);
  return -1;
}
