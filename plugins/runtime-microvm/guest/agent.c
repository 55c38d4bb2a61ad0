/* skiff guest agent: PID 1 of a micro-VM guest. It serves the host over a virtio-serial
 * port with the framed protocol of PROTOCOL.md and runs the pod's containers. One thread,
 * one poll loop: requests, process output, stdin and child exits all pass through it. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/reboot.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "agent.h"

/* Past this much queued output the agent stops reading process output (back-pressure). */
#define OUT_HIGH_WATER (1024 * 1024)
#define READ_CHUNK (32 * 1024)

static int port = -1;
static int host_away = 1; /* no host on the other end of the port yet */
static struct buf outq;
static char inbuf[HEADER_SIZE + MAX_PAYLOAD + 1];
static size_t inlen;
static size_t skip; /* bytes of an oversized frame still to discard */

static void queue_frame(uint8_t type, uint32_t id, const void *payload, size_t n) {
  unsigned char head[HEADER_SIZE];
  uint32_t len = (uint32_t)n + 5;
  head[0] = (unsigned char)(len >> 24);
  head[1] = (unsigned char)(len >> 16);
  head[2] = (unsigned char)(len >> 8);
  head[3] = (unsigned char)len;
  head[4] = type;
  head[5] = (unsigned char)(id >> 24);
  head[6] = (unsigned char)(id >> 16);
  head[7] = (unsigned char)(id >> 8);
  head[8] = (unsigned char)id;
  if (buf_reserve(&outq, HEADER_SIZE + n) < 0) {
    agent_log("out of memory queueing a frame of %zu bytes; dropped", n);
    return;
  }
  buf_append(&outq, head, HEADER_SIZE);
  if (n > 0) buf_append(&outq, payload, n);
}

static void respond(uint32_t id, struct buf *b) {
  queue_frame(F_RESPONSE, id, b->data, b->len);
  free(b->data);
  memset(b, 0, sizeof *b);
}

static void respond_ok(uint32_t id) {
  struct buf b = {0};
  buf_kv(&b, "status", "ok");
  respond(id, &b);
}

static void respond_error(uint32_t id, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void respond_error(uint32_t id, const char *code, const char *fmt, ...) {
  char msg[600];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  struct buf b = {0};
  buf_kv(&b, "status", "error");
  buf_kv(&b, "code", code);
  buf_kv(&b, "message", msg);
  respond(id, &b);
}

/* flush_out writes queued frames while the port takes them. */
static void flush_out(void) {
  while (!host_away && outq.len > outq.off) {
    ssize_t n = write(port, outq.data + outq.off, outq.len - outq.off);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno != EAGAIN) agent_log("port write: %s", strerror(errno));
      return;
    }
    outq.off += (size_t)n;
  }
  if (outq.off == outq.len) outq.off = outq.len = 0;
}

/* read_output forwards what a process wrote: 2 when it read some, 1 when there was nothing
 * yet, 0 at end of stream. */
static int read_output(struct proc *p, int *fd, uint8_t type) {
  char chunk[READ_CHUNK];
  ssize_t n = read(*fd, chunk, sizeof chunk);
  if (n > 0) {
    queue_frame(type, p->id, chunk, (size_t)n);
    return 2;
  }
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return 1;
  /* EOF, or EIO from a terminal whose other side closed. */
  close(*fd);
  *fd = -1;
  return 0;
}

static void drain_output(struct proc *p) {
  while (p->out_fd >= 0 && read_output(p, &p->out_fd, F_STDOUT) == 2) {
  }
  while (p->err_fd >= 0 && read_output(p, &p->err_fd, F_STDERR) == 2) {
  }
}

/* process_ended sends a process's remaining output and its EXIT. */
static void process_ended(struct proc *p, int status) {
  p->running = 0;
  p->status = status;
  drain_output(p);
  if (p->out_fd >= 0) close(p->out_fd);
  if (p->err_fd >= 0) close(p->err_fd);
  if (p->in_fd >= 0) close(p->in_fd);
  p->out_fd = p->err_fd = p->in_fd = -1;
  struct buf b = {0};
  if (WIFSIGNALED(status))
    buf_kvl(&b, "signal", WTERMSIG(status));
  else
    buf_kvl(&b, "exit", WEXITSTATUS(status));
  if (p->timed_out) buf_kv(&b, "timeout", "1");
  if (p->is_container) buf_kv(&b, "container", p->name);
  queue_frame(F_EXIT, p->id, b.data, b.len);
  free(b.data);
  if (!p->is_container) proc_free(p);
}

static void reap(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    struct proc *p = proc_by_pid(pid);
    if (p != NULL) process_ended(p, status);
  }
}

static void handle_hello(uint32_t id) {
  struct utsname u;
  struct buf b = {0};
  uname(&u);
  buf_kv(&b, "status", "ok");
  buf_kv(&b, "agent", AGENT_VERSION);
  buf_kv(&b, "kernel", u.release);
  buf_kv(&b, "hostname", u.nodename);
  respond(id, &b);
}

static void handle_create(uint32_t id, const struct fields *f) {
  static struct process_spec spec;
  char err[600];
  const char *code = "Invalid";
  if (spec_from_fields(f, &spec, 1, err, sizeof err) < 0) return respond_error(id, code, "%s", err);
  if (proc_by_name(spec.name) != NULL)
    return respond_error(id, "AlreadyExists", "container %s exists", spec.name);
  if (proc_by_id(id) != NULL)
    return respond_error(id, "AlreadyExists", "process id %u is in use", id);
  if (start_container(id, &spec, &code, err, sizeof err) < 0)
    return respond_error(id, code, "%s", err);
  struct buf b = {0};
  buf_kv(&b, "status", "ok");
  buf_kvl(&b, "pid", proc_by_id(id)->pid);
  respond(id, &b);
}

static void handle_exec(uint32_t id, const struct fields *f) {
  static struct process_spec spec;
  char err[600];
  const char *code = "Invalid";
  const char *name = field_get(f, "container");
  const char *timeout = field_get(f, "timeout");
  long long t = timeout ? strtoll(timeout, NULL, 10) : 0;
  if (name == NULL) return respond_error(id, "Invalid", "no container given");
  if (t < 0 || t > 365LL * 24 * 3600) return respond_error(id, "Invalid", "bad timeout");
  if (spec_from_fields(f, &spec, 0, err, sizeof err) < 0) return respond_error(id, code, "%s", err);
  struct proc *c = proc_by_name(name);
  if (c == NULL) return respond_error(id, "NotFound", "container %s not found", name);
  if (!c->running) return respond_error(id, "FailedPrecondition", "container %s is not running", name);
  if (proc_by_id(id) != NULL)
    return respond_error(id, "AlreadyExists", "process id %u is in use", id);
  if (start_exec(id, c, &spec, t, &code, err, sizeof err) < 0)
    return respond_error(id, code, "%s", err);
  respond_ok(id);
}

static void handle_signal(uint32_t id, const struct fields *f) {
  const char *name = field_get(f, "container");
  const char *process = field_get(f, "process");
  const char *sig = field_get(f, "signal");
  long s = sig ? strtol(sig, NULL, 10) : 0;
  if (s <= 0 || s >= 65) return respond_error(id, "Invalid", "bad signal");
  struct proc *p = NULL;
  if (name != NULL) {
    p = proc_by_name(name);
    if (p == NULL) return respond_error(id, "NotFound", "container %s not found", name);
  } else if (process != NULL) {
    p = proc_by_id((uint32_t)strtoul(process, NULL, 10));
  } else {
    return respond_error(id, "Invalid", "give container or process");
  }
  if (p != NULL && p->running && kill(p->pid, (int)s) < 0 && errno != ESRCH)
    return respond_error(id, "InternalError", "kill: %s", strerror(errno));
  respond_ok(id);
}

static void handle_remove(uint32_t id, const struct fields *f) {
  const char *name = field_get(f, "container");
  if (name == NULL || !valid_name(name)) return respond_error(id, "Invalid", "bad container name");
  struct proc *p = proc_by_name(name);
  if (p == NULL) return respond_ok(id);
  if (p->running) {
    int status = 0;
    kill(p->pid, SIGKILL);
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR) {
    }
    process_ended(p, status);
  }
  remove_container_files(p->name);
  proc_free(p);
  respond_ok(id);
}

static void handle_list(uint32_t id) {
  struct buf b = {0};
  struct proc *t = proc_table();
  buf_kv(&b, "status", "ok");
  /* Running execs first: their ids are taken too, and a new host must not reuse them. */
  for (int i = 0; i < MAX_PROCS; i++)
    if (t[i].used && !t[i].is_container && t[i].running) buf_kvl(&b, "exec", t[i].id);
  for (int i = 0; i < MAX_PROCS; i++) {
    struct proc *p = &t[i];
    if (!p->used || !p->is_container) continue;
    buf_kv(&b, "container", p->name);
    buf_kvl(&b, "process", p->id);
    buf_kv(&b, "state", p->running ? "running" : "exited");
    if (p->running)
      buf_kvl(&b, "pid", p->pid);
    else if (WIFSIGNALED(p->status))
      buf_kvl(&b, "signal", WTERMSIG(p->status));
    else
      buf_kvl(&b, "exit", WEXITSTATUS(p->status));
  }
  respond(id, &b);
}

/* STATS: usage figures of the named containers (repeated `container`), or of all of them. */
static void handle_stats(uint32_t id, const struct fields *f) {
  struct buf b = {0};
  struct proc *t = proc_table();
  buf_kv(&b, "status", "ok");
  int named = 0;
  for (size_t i = 0; i < f->count; i++) {
    if (strcmp(f->items[i].key, "container") != 0) continue;
    named = 1;
    struct proc *p = proc_by_name(f->items[i].value);
    if (p == NULL || !p->is_container) {
      free(b.data);
      return respond_error(id, "NotFound", "no container %.128s", f->items[i].value);
    }
    if (cgroup_stats(p->name, &b) < 0) {
      free(b.data);
      return respond_error(id, "FailedPrecondition", "no usage figures for %.128s", p->name);
    }
  }
  for (int i = 0; !named && i < MAX_PROCS; i++)
    if (t[i].used && t[i].is_container) cgroup_stats(t[i].name, &b);
  respond(id, &b);
}

/* UPDATE: a container's CPU and memory limits (`cpu.max`, `memory.max`, cgroup v2 syntax). */
static void handle_update(uint32_t id, const struct fields *f) {
  const char *name = field_get(f, "container");
  if (name == NULL || !valid_name(name)) return respond_error(id, "Invalid", "bad container name");
  struct proc *p = proc_by_name(name);
  if (p == NULL || !p->is_container) return respond_error(id, "NotFound", "no container %s", name);
  char err[256];
  if (cgroup_update(name, field_get(f, "cpu.max"), field_get(f, "memory.max"), err, sizeof err) < 0)
    return respond_error(id, "Invalid", "%s", err);
  respond_ok(id);
}

static void __attribute__((noreturn)) power_off(void) {
  /* Give the host the answer before everything stops. */
  for (int i = 0; i < 100 && outq.len > outq.off; i++) {
    struct pollfd pf = {.fd = port, .events = POLLOUT};
    poll(&pf, 1, 20);
    flush_out();
  }
  kill(-1, SIGKILL);
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
  sync();
  reboot(RB_POWER_OFF);
  for (;;) pause();
}

static void handle_stdin(uint32_t id, const char *data, size_t n) {
  struct proc *p = proc_by_id(id);
  if (p == NULL || !p->running || p->in_fd < 0) return;
  if (n == 0) {
    p->stdin_close = 1;
    return;
  }
  if (buf_append(&p->stdin_queue, data, n) < 0) agent_log("stdin for %u dropped: no memory", id);
}

static void handle_resize(uint32_t id, const struct fields *f) {
  struct proc *p = proc_by_id(id);
  const char *rows = field_get(f, "rows"), *cols = field_get(f, "cols");
  if (p == NULL || !p->tty || p->out_fd < 0 || rows == NULL || cols == NULL) return;
  struct winsize ws = {.ws_row = (unsigned short)atoi(rows), .ws_col = (unsigned short)atoi(cols)};
  ioctl(p->out_fd, TIOCSWINSZ, &ws);
}

static int is_request(uint8_t type) { return type >= F_HELLO && type <= F_UPDATE; }

static void handle_frame(uint8_t type, uint32_t id, char *payload, size_t n) {
  if (type == F_STDIN) return handle_stdin(id, payload, n);
  struct fields f;
  const char *err = NULL;
  if (parse_fields(payload, n, &f, &err) < 0) {
    if (is_request(type)) respond_error(id, "Invalid", "%s", err);
    free(f.items);
    return;
  }
  switch (type) {
  case F_HELLO: handle_hello(id); break;
  case F_CREATE: handle_create(id, &f); break;
  case F_SIGNAL: handle_signal(id, &f); break;
  case F_EXEC: handle_exec(id, &f); break;
  case F_REMOVE: handle_remove(id, &f); break;
  case F_LIST: handle_list(id); break;
  case F_STATS: handle_stats(id, &f); break;
  case F_UPDATE: handle_update(id, &f); break;
  case F_SHUTDOWN:
    respond_ok(id);
    free(f.items);
    agent_log("powering off");
    power_off();
  case F_RESIZE: handle_resize(id, &f); break;
  default: respond_error(id, "Invalid", "unknown frame type 0x%02x", type);
  }
  free(f.items);
}

static uint32_t be32(const unsigned char *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* read_port takes what the host sent and handles each complete frame. */
static void read_port(void) {
  /* Every valid frame fits the buffer, so it is never full here; a zero-length read would be
   * mistaken for the host going away. */
  if (inlen >= sizeof inbuf - 1) inlen = 0;
  ssize_t n = read(port, inbuf + inlen, sizeof inbuf - 1 - inlen);
  if (n == 0) {
    host_away = 1; /* the host closed its end; wait for the next one */
    return;
  }
  if (n < 0) {
    if (errno != EAGAIN && errno != EINTR) agent_log("port read: %s", strerror(errno));
    return;
  }
  inlen += (size_t)n;
  size_t at = 0;
  for (;;) {
    if (skip > 0) {
      size_t k = skip < inlen - at ? skip : inlen - at;
      skip -= k;
      at += k;
      if (skip > 0) break;
    }
    if (inlen - at < HEADER_SIZE) break;
    unsigned char *h = (unsigned char *)inbuf + at;
    uint32_t len = be32(h);
    uint8_t type = h[4];
    uint32_t id = be32(h + 5);
    if (len < 5 || len - 5 > MAX_PAYLOAD) {
      agent_log("frame of %u bytes refused", len);
      if (is_request(type)) respond_error(id, "Invalid", "frame of %u bytes is too large", len);
      /* A length below 5 cannot be skipped meaningfully: drop what is buffered. */
      skip = len >= 5 ? (size_t)len + 4 : inlen - at;
      continue;
    }
    if (inlen - at < 4 + (size_t)len) break;
    char *payload = inbuf + at + HEADER_SIZE;
    size_t plen = len - 5;
    char saved = payload[plen]; /* parse_fields writes a NUL after the payload */
    handle_frame(type, id, payload, plen);
    payload[plen] = saved;
    at += 4 + len;
  }
  memmove(inbuf, inbuf + at, inlen - at);
  inlen -= at;
}

static void write_stdin(struct proc *p) {
  struct buf *q = &p->stdin_queue;
  while (q->len > q->off) {
    ssize_t n = write(p->in_fd, q->data + q->off, q->len - q->off);
    if (n < 0) {
      if (errno == EAGAIN || errno == EINTR) return;
      q->off = q->len; /* the reader is gone */
      break;
    }
    q->off += (size_t)n;
  }
  q->off = q->len = 0;
  if (p->stdin_close) {
    if (p->tty) {
      ssize_t w = write(p->in_fd, "\x04", 1); /* end of file on a terminal is ^D */
      (void)w;
    }
    close(p->in_fd);
    p->in_fd = -1;
  }
}

/* uptime_text gives the seconds since boot, for boot-time diagnostics on the console. */
static const char *uptime_text(char *out, size_t n) {
  int fd = open("/proc/uptime", O_RDONLY | O_CLOEXEC);
  ssize_t k = fd >= 0 ? read(fd, out, n - 1) : -1;
  if (fd >= 0) close(fd);
  out[k > 0 ? (size_t)k : 0] = '\0';
  out[strcspn(out, " \n")] = '\0';
  return out;
}

/* load_modules is `skiff-agent --load-modules FILE...`: /init loads every module with one
 * process instead of one insmod each (process start-up is slow under software emulation). */
static int load_modules(int argc, char **argv) {
  int failed = 0;
  for (int i = 2; i < argc; i++) {
    int fd = open(argv[i], O_RDONLY | O_CLOEXEC);
    if (fd < 0 || (syscall(SYS_finit_module, fd, "", 0) < 0 && errno != EEXIST)) {
      agent_log("load module %s: %s", argv[i], strerror(errno));
      failed = 1;
    }
    if (fd >= 0) close(fd);
  }
  return failed;
}

static int open_port(void) {
  const char *want = "org.skiff.agent";
  char cmdline[4096] = "", name[256], path[300];
  int fd = open("/proc/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ssize_t n = read(fd, cmdline, sizeof cmdline - 1);
    cmdline[n > 0 ? n : 0] = '\0';
    close(fd);
    char *k = strstr(cmdline, "skiff.port=");
    if (k != NULL) {
      want = k + strlen("skiff.port=");
      k[strlen("skiff.port=") + strcspn(want, " \n")] = '\0';
    }
  }
  for (int tries = 0; tries < 1000; tries++) {
    DIR *d = opendir("/sys/class/virtio-ports");
    struct dirent *e;
    while (d != NULL && (e = readdir(d)) != NULL) {
      if (e->d_name[0] == '.') continue;
      snprintf(path, sizeof path, "/sys/class/virtio-ports/%s/name", e->d_name);
      int nf = open(path, O_RDONLY | O_CLOEXEC);
      if (nf < 0) continue;
      ssize_t n = read(nf, name, sizeof name - 1);
      close(nf);
      name[n > 0 ? n : 0] = '\0';
      name[strcspn(name, "\n")] = '\0';
      if (strcmp(name, want) != 0) continue;
      snprintf(path, sizeof path, "/dev/%s", e->d_name);
      fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
      if (fd >= 0) {
        closedir(d);
        char up[32];
        agent_log("serving on %s (%s), %s s after boot", path, want, uptime_text(up, sizeof up));
        return fd;
      }
    }
    if (d != NULL) closedir(d);
    usleep(10000);
  }
  agent_log("no virtio-serial port named %s", want);
  return -1;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--load-modules") == 0) return load_modules(argc, argv);
  signal(SIGPIPE, SIG_IGN);
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
  int sfd = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
  mkdir("/run", 0755);
  mkdir("/run/skiff", 0755);
  mkdir(STATE_DIR, 0700);
  port = open_port();
  if (port < 0 || sfd < 0) {
    agent_log("cannot start; powering off");
    power_off();
  }
  static struct pollfd pfds[2 + 3 * MAX_PROCS];
  static struct proc *owner[2 + 3 * MAX_PROCS];
  static int kind[2 + 3 * MAX_PROCS]; /* 0 stdout, 1 stderr, 2 stdin */
  for (;;) {
    struct proc *t = proc_table();
    nfds_t n = 0;
    long long now = now_ms();
    int timeout = host_away ? 20 : -1;
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc *p = &t[i];
      if (!p->used || !p->running || p->deadline_ms == 0) continue;
      if (p->deadline_ms <= now) {
        p->timed_out = 1;
        p->deadline_ms = 0;
        kill(p->pid, SIGKILL);
      } else if (timeout < 0 || p->deadline_ms - now < timeout) {
        timeout = (int)(p->deadline_ms - now);
      }
    }
    pfds[n++] = (struct pollfd){.fd = sfd, .events = POLLIN};
    if (!host_away)
      pfds[n++] = (struct pollfd){.fd = port, .events = POLLIN | (outq.len > outq.off ? POLLOUT : 0)};
    int reading = outq.len - outq.off < OUT_HIGH_WATER;
    for (int i = 0; i < MAX_PROCS; i++) {
      struct proc *p = &t[i];
      if (!p->used || !p->running) continue;
      int fds[3] = {reading ? p->out_fd : -1, reading ? p->err_fd : -1,
                    p->stdin_queue.len > p->stdin_queue.off || p->stdin_close ? p->in_fd : -1};
      for (int k = 0; k < 3; k++) {
        if (fds[k] < 0) continue;
        owner[n] = p;
        kind[n] = k;
        pfds[n++] = (struct pollfd){.fd = fds[k], .events = k == 2 ? POLLOUT : POLLIN};
      }
    }
    /* stdin closes are due even when the queue is empty and the pipe is never writable */
    for (int i = 0; i < MAX_PROCS; i++)
      if (t[i].used && t[i].running && t[i].stdin_close && t[i].in_fd >= 0 &&
          t[i].stdin_queue.len == t[i].stdin_queue.off)
        write_stdin(&t[i]);
    int r = poll(pfds, n, timeout);
    if (r < 0 && errno != EINTR) agent_log("poll: %s", strerror(errno));
    for (nfds_t i = 0; r > 0 && i < n; i++) {
      short ev = pfds[i].revents;
      if (ev == 0) continue;
      if (pfds[i].fd == sfd) {
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
        }
        reap();
      } else if (pfds[i].fd == port) {
        if (ev & POLLIN) read_port();
        else if (ev & POLLHUP) host_away = 1;
        if (ev & POLLOUT) flush_out();
      } else {
        struct proc *p = owner[i];
        if (!p->used || !p->running) continue;
        if (kind[i] == 0 && p->out_fd == pfds[i].fd) read_output(p, &p->out_fd, F_STDOUT);
        else if (kind[i] == 1 && p->err_fd == pfds[i].fd) read_output(p, &p->err_fd, F_STDERR);
        else if (kind[i] == 2 && p->in_fd == pfds[i].fd) write_stdin(p);
      }
    }
    if (host_away) {
      struct pollfd pf = {.fd = port, .events = POLLIN | POLLOUT};
      if (poll(&pf, 1, 0) >= 0 && !(pf.revents & POLLHUP)) {
        host_away = 0;
        char up[32];
        agent_log("host connected, %s s after boot", uptime_text(up, sizeof up));
      }
    }
    flush_out();
  }
}
