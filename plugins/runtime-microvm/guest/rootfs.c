/* skiff guest agent: a container's root file system (paths resolved inside it, its /proc,
 * /sys, /dev and mounts, pivot_root) and its state directory. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <linux/openat2.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "agent.h"

/* Child side: report a setup failure through the error pipe and end. */
void child_fail(int errfd, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  if (n > 0) {
    ssize_t w = write(errfd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
    (void)w;
  }
  _exit(127);
}

int mkdir_p(const char *path, mode_t mode) {
  char tmp[MAX_PATH_LEN * 2 + 64];
  if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp) return errno = ENAMETOOLONG, -1;
  for (char *p = tmp + 1; *p; p++) {
    if (*p != '/') continue;
    *p = '\0';
    if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
    *p = '/';
  }
  if (mkdir(tmp, mode) < 0 && errno != EEXIST) return -1;
  return 0;
}

/* open_in_root opens path (relative to the container root) with every symbolic link and ".."
 * kept inside that root, as if the process were already chrooted there. */
static int open_in_root(int rootfd, const char *path, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = RESOLVE_IN_ROOT};
  while (*path == '/') path++;
  return (int)syscall(SYS_openat2, rootfd, *path ? path : ".", &how, sizeof how);
}

/* make_in_root creates path inside the root (directories on the way, then a directory or an
 * empty file) without leaving it, and returns an O_PATH descriptor of it. A dangling link on
 * the way is followed by creating its target, inside the root too. */
static int make_in_root(int rootfd, const char *path, int is_dir, int depth) {
  char buf[MAX_PATH_LEN + 1];
  if (depth > 8) return errno = ELOOP, -1;
  if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) return errno = ENAMETOOLONG, -1;
  char *p = buf;
  while (*p == '/') p++;
  for (;;) {
    char *slash = strchr(p, '/');
    int last = slash == NULL;
    if (!last) *slash = '\0';
    int fd = open_in_root(rootfd, buf, O_PATH);
    if (fd < 0 && errno == ENOENT) {
      /* Create the missing component in its parent, itself resolved inside the root. */
      char *cut = strrchr(buf, '/');
      const char *name = cut ? cut + 1 : buf;
      if (cut) *cut = '\0';
      int parent = cut ? open_in_root(rootfd, buf, O_PATH | O_DIRECTORY) : dup(rootfd);
      if (parent < 0) return -1;
      int rc;
      if (!last || is_dir) {
        rc = mkdirat(parent, name, 0755);
      } else {
        rc = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (rc >= 0) close(rc);
      }
      if (rc < 0 && errno == EEXIST) {
        char link[MAX_PATH_LEN + 1], next[2 * MAX_PATH_LEN + 8];
        ssize_t n = readlinkat(parent, name, link, sizeof link - 1);
        if (n > 0) {
          link[n] = '\0';
          int len = snprintf(next, sizeof next, "%s%s%s%s%s", link[0] == '/' || !cut ? "" : buf,
                             link[0] == '/' ? "" : "/", link, last ? "" : "/",
                             last ? "" : slash + 1);
          close(parent);
          if (len >= (int)sizeof next) return errno = ENAMETOOLONG, -1;
          return make_in_root(rootfd, next, is_dir, depth + 1);
        }
      }
      close(parent);
      if (cut) *cut = '/';
      if (rc < 0 && errno != EEXIST) return -1;
      fd = open_in_root(rootfd, buf, O_PATH);
    }
    if (last || fd < 0) return fd;
    close(fd);
    *slash = '/';
    p = slash + 1;
  }
}

/* mount_in_root mounts onto a path of the container, resolved inside its root. */
static void mount_in_root(int errfd, int rootfd, const char *source, const char *path,
                          const char *fstype, unsigned long flags, const char *data, int is_dir) {
  char target[64];
  int fd = make_in_root(rootfd, path, is_dir, 0);
  if (fd < 0) child_fail(errfd, "mount point %s: %s", path, strerror(errno));
  snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
  if (mount(source, target, fstype, flags, data) < 0)
    child_fail(errfd, "mount %s: %s", path, strerror(errno));
  close(fd);
  if ((flags & MS_BIND) && (flags & MS_RDONLY)) {
    /* The descriptor above names the directory under the new mount: look the path up again
     * to reach the mount itself. */
    fd = open_in_root(rootfd, path, O_PATH);
    snprintf(target, sizeof target, "/proc/self/fd/%d", fd);
    if (fd < 0 || mount(NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY, NULL) < 0)
      child_fail(errfd, "make %s read-only: %s", path, strerror(errno));
    close(fd);
  }
}

/* Child side, new mount namespace: give the container /proc, /sys, /dev and its mounts. Every
 * path inside the container is resolved inside its root: an image's symbolic links cannot
 * reach the guest's own files (the share among them). */
void setup_root(int errfd, const char *root, const struct process_spec *spec) {
  char p[MAX_PATH_LEN + 64], q[MAX_PATH_LEN + 64];
  static const char *devices[] = {"null", "zero", "full", "random", "urandom", "tty"};
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
    child_fail(errfd, "make mounts private: %s", strerror(errno));
  int rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) child_fail(errfd, "open %s: %s", root, strerror(errno));
  mount_in_root(errfd, rootfd, "proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 1);
  mount_in_root(errfd, rootfd, "sysfs", "/sys", "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                NULL, 1);
  /* The container's own cgroup, read-only, as its root (the child entered a cgroup namespace
   * of its own after joining its group): how runc shows cgroup v2 to containers. */
  if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
    mount_in_root(errfd, rootfd, "cgroup2", "/sys/fs/cgroup", "cgroup2",
                  MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL, 1);
  mount_in_root(errfd, rootfd, "tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_STRICTATIME,
                "mode=755,size=65536k", 1);
  for (size_t i = 0; i < sizeof devices / sizeof devices[0]; i++) {
    snprintf(p, sizeof p, "/dev/%s", devices[i]);
    mount_in_root(errfd, rootfd, p, p, NULL, MS_BIND, NULL, 0);
  }
  mount_in_root(errfd, rootfd, "devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC,
                "newinstance,ptmxmode=0666,mode=0620", 1);
  mount_in_root(errfd, rootfd, "shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV,
                "mode=1777,size=65536k", 1);
  int devfd = open_in_root(rootfd, "/dev", O_PATH | O_DIRECTORY);
  if (devfd < 0) child_fail(errfd, "open /dev: %s", strerror(errno));
  static const char *links[][2] = {{"pts/ptmx", "ptmx"},
                                   {"/proc/self/fd", "fd"},
                                   {"/proc/self/fd/0", "stdin"},
                                   {"/proc/self/fd/1", "stdout"},
                                   {"/proc/self/fd/2", "stderr"}};
  for (size_t i = 0; i < sizeof links / sizeof links[0]; i++) {
    if (symlinkat(links[i][0], devfd, links[i][1]) < 0)
      child_fail(errfd, "link /dev/%s: %s", links[i][1], strerror(errno));
  }
  close(devfd);
  /* The VM's hostname, as a pod's containers see theirs; written into the overlay's upper. */
  int etc = open_in_root(rootfd, "/etc", O_PATH | O_DIRECTORY);
  if (etc >= 0) {
    char host[256] = "";
    gethostname(host, sizeof host - 1);
    int fd = openat(etc, "hostname", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd >= 0) {
      dprintf(fd, "%s\n", host);
      close(fd);
    }
    close(etc);
  }
  for (size_t i = 0; i < spec->nmounts; i++) {
    const struct mount_spec *m = &spec->mounts[i];
    struct stat st;
    snprintf(q, sizeof q, "%s/%s", SHARE_DIR, m->source);
    if (stat(q, &st) < 0) child_fail(errfd, "mount source %s: %s", m->source, strerror(errno));
    mount_in_root(errfd, rootfd, q, m->dest, NULL,
                  MS_BIND | MS_REC | (m->readonly ? MS_RDONLY : 0), NULL, S_ISDIR(st.st_mode));
  }
  close(rootfd);
  /* pivot_root(".", ".") stacks the old root under the new one; detaching it leaves only the
   * container's tree. */
  if (chdir(root) < 0) child_fail(errfd, "chdir %s: %s", root, strerror(errno));
  if (syscall(SYS_pivot_root, ".", ".") < 0) child_fail(errfd, "pivot_root: %s", strerror(errno));
  if (umount2(".", MNT_DETACH) < 0) child_fail(errfd, "detach old root: %s", strerror(errno));
  if (chdir("/") < 0) child_fail(errfd, "chdir /: %s", strerror(errno));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
  (void)st;
  (void)flag;
  (void)ftw;
  remove(path);
  return 0;
}

/* remove_container_files unmounts a container's root and deletes its state directory. */
void remove_container_files(const char *name) {
  char dir[MAX_PATH_LEN + 64], root[MAX_PATH_LEN + 80];
  snprintf(dir, sizeof dir, "%s/%s", STATE_DIR, name);
  snprintf(root, sizeof root, "%s/root", dir);
  umount2(root, MNT_DETACH);
  nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
  cgroup_remove(name);
}
