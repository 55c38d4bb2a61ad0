/* skiff guest agent: one cgroup v2 group per container, for usage figures (STATS) and
 * CPU and memory limits (UPDATE). The wire format is in PROTOCOL.md. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "agent.h"

#define CGROUP_ROOT "/sys/fs/cgroup"
#define CGROUP_SKIFF CGROUP_ROOT "/skiff"

static int ready = -1; /* -1 not tried, 0 unavailable, 1 ready */

static int write_file(const char *path, const char *text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  int saved = errno;
  close(fd);
  errno = saved;
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

/* cgroup_init mounts cgroup2 and hands the cpu, memory and pids controllers down to skiff's
 * group, once. Without them containers still run; their figures and limits are refused. */
static int cgroup_init(void) {
  if (ready >= 0) return ready;
  ready = 0;
  struct stat st;
  if (stat(CGROUP_ROOT "/cgroup.controllers", &st) < 0 &&
      mount("cgroup2", CGROUP_ROOT, "cgroup2", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) {
    agent_log("cgroup2: %s", strerror(errno));
    return 0;
  }
  if (write_file(CGROUP_ROOT "/cgroup.subtree_control", "+cpu +memory +pids") < 0 ||
      (mkdir(CGROUP_SKIFF, 0755) < 0 && errno != EEXIST) ||
      write_file(CGROUP_SKIFF "/cgroup.subtree_control", "+cpu +memory +pids") < 0) {
    agent_log("cgroup controllers: %s", strerror(errno));
    return 0;
  }
  ready = 1;
  return 1;
}

static void group_path(char *out, size_t n, const char *name, const char *file) {
  snprintf(out, n, "%s/%s%s%s", CGROUP_SKIFF, name, file ? "/" : "", file ? file : "");
}

int cgroup_prepare(const char *name) {
  if (!cgroup_init()) return -1;
  char path[MAX_NAME + 64];
  group_path(path, sizeof path, name, NULL);
  if (mkdir(path, 0755) < 0 && errno != EEXIST) return -1;
  group_path(path, sizeof path, name, "cgroup.procs");
  return open(path, O_WRONLY | O_CLOEXEC);
}

void cgroup_join(int procs_fd) {
  /* "0" is the writing process itself, whatever its pid looks like in its own namespace. */
  if (procs_fd >= 0 && write(procs_fd, "0", 1) < 0) {
    /* The figures of this container will read zero; it still runs. */
  }
}

void cgroup_remove(const char *name) {
  char path[MAX_NAME + 64];
  group_path(path, sizeof path, name, NULL);
  rmdir(path);
}

/* read_value returns the number after `key` in a flat-keyed file (key NULL: the whole file). */
static long long read_value(const char *name, const char *file, const char *key) {
  char path[MAX_NAME + 64], text[8192];
  group_path(path, sizeof path, name, file);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  ssize_t n = read(fd, text, sizeof text - 1);
  close(fd);
  if (n <= 0) return -1;
  text[n] = '\0';
  if (key == NULL) return strtoll(text, NULL, 10);
  size_t klen = strlen(key);
  char *line = text;
  while (line != NULL && *line != '\0') {
    if (strncmp(line, key, klen) == 0 && line[klen] == ' ') return strtoll(line + klen + 1, NULL, 10);
    char *nl = strchr(line, '\n');
    line = nl ? nl + 1 : NULL;
  }
  return -1;
}

int cgroup_stats(const char *name, struct buf *b) {
  if (!cgroup_init()) return -1;
  long long cpu = read_value(name, "cpu.stat", "usage_usec");
  long long mem = read_value(name, "memory.current", NULL);
  long long inactive = read_value(name, "memory.stat", "inactive_file");
  if (cpu < 0 || mem < 0) return -1;
  long long ws = inactive > 0 && inactive < mem ? mem - inactive : mem;
  buf_kv(b, "container", name);
  buf_kvl(b, "cpu.usec", cpu);
  buf_kvl(b, "memory.bytes", mem);
  buf_kvl(b, "memory.workingset", ws);
  long long pids = read_value(name, "pids.current", NULL);
  if (pids >= 0) buf_kvl(b, "pids", pids);
  return 0;
}

/* valid_limit accepts what cpu.max and memory.max take: "max" or digits, and for cpu.max a
 * space and a period in digits. */
static int valid_limit(const char *v, int with_period) {
  const char *p = v;
  if (strncmp(p, "max", 3) == 0)
    p += 3;
  else {
    if (*p < '0' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') p++;
  }
  if (with_period && *p == ' ') {
    p++;
    if (*p < '1' || *p > '9') return 0;
    while (*p >= '0' && *p <= '9') p++;
  }
  return *p == '\0';
}

int cgroup_update(const char *name, const char *cpu_max, const char *memory_max, char *err,
                  size_t errlen) {
  if ((cpu_max && !valid_limit(cpu_max, 1)) || (memory_max && !valid_limit(memory_max, 0))) {
    snprintf(err, errlen, "cpu.max is \"max|QUOTA [PERIOD]\", memory.max is \"max|BYTES\"");
    return -1;
  }
  if (!cgroup_init()) {
    snprintf(err, errlen, "the guest has no cgroup v2 controllers");
    return -1;
  }
  char path[MAX_NAME + 64];
  if (cpu_max) {
    group_path(path, sizeof path, name, "cpu.max");
    if (write_file(path, cpu_max) < 0) {
      snprintf(err, errlen, "cpu.max %s: %s", cpu_max, strerror(errno));
      return -1;
    }
  }
  if (memory_max) {
    group_path(path, sizeof path, name, "memory.max");
    if (write_file(path, memory_max) < 0) {
      snprintf(err, errlen, "memory.max %s: %s", memory_max, strerror(errno));
      return -1;
    }
  }
  return 0;
}
