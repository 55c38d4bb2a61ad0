/* skiff guest agent: shared declarations. The wire format is in PROTOCOL.md. */
#ifndef SKIFF_AGENT_H
#define SKIFF_AGENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define AGENT_VERSION "2"
#define MAX_PAYLOAD (1024 * 1024)
#define HEADER_SIZE 9
#define MAX_ARGS 1024
#define MAX_ENV 1024
#define MAX_MOUNTS 64
#define MAX_GROUPS 64
#define MAX_NAME 128
#define MAX_PATH_LEN 4096
#define MAX_PROCS 512
#define SHARE_DIR "/run/skiff/share"
#define STATE_DIR "/run/skiff/c"

enum frame_type {
  F_HELLO = 0x01,
  F_CREATE = 0x02,
  F_SIGNAL = 0x03,
  F_EXEC = 0x04,
  F_REMOVE = 0x05,
  F_LIST = 0x06,
  F_SHUTDOWN = 0x07,
  F_STATS = 0x08,
  F_UPDATE = 0x09,
  F_STDIN = 0x10,
  F_RESIZE = 0x11,
  F_RESPONSE = 0x20,
  F_STDOUT = 0x21,
  F_STDERR = 0x22,
  F_EXIT = 0x23,
};

/* One key=value line of a control payload, unescaped in place (NUL-terminated). */
struct field {
  const char *key;
  const char *value;
};

struct fields {
  struct field *items;
  size_t count;
};

/* A growable byte buffer: responses are built in one, the output queue is one. */
struct buf {
  char *data;
  size_t len;
  size_t off; /* bytes already consumed from the front (output queue only) */
  size_t cap;
};

struct mount_spec {
  int readonly;
  const char *source; /* relative to SHARE_DIR */
  const char *dest;   /* absolute, inside the container */
};

/* What CREATE and EXEC have in common, pointing into the request's payload. */
struct process_spec {
  const char *argv[MAX_ARGS + 1];
  size_t argc;
  const char *envp[MAX_ENV + 1];
  size_t envc;
  const char *cwd;
  int open_stdin;
  int tty;
  long long uid, gid; /* -1: stay root */
  unsigned int groups[MAX_GROUPS];
  size_t ngroups;
  unsigned short rows, cols;
  /* CREATE only */
  const char *name;
  const char *rootfs;
  struct mount_spec mounts[MAX_MOUNTS];
  size_t nmounts;
  const char *cpu_max;    /* cgroup cpu.max, or NULL */
  const char *memory_max; /* cgroup memory.max, or NULL */
};

/* A process the agent started: a container's main process or an exec. */
struct proc {
  int used;
  uint32_t id; /* wire id: the id of the request that started it */
  pid_t pid;
  int is_container;
  int running;
  int status; /* wait status once it has ended */
  int timed_out;
  long long deadline_ms; /* exec timeout, 0 for none */
  int out_fd, err_fd, in_fd; /* agent's ends; out_fd is the terminal master with a tty */
  int tty;
  struct buf stdin_queue; /* stdin bytes the process has not taken yet */
  int stdin_close;        /* close in_fd once stdin_queue is empty */
  char name[MAX_NAME + 1];
};

/* fields.c */
int parse_fields(char *payload, size_t len, struct fields *out, const char **err);
const char *field_get(const struct fields *f, const char *key);
int buf_reserve(struct buf *b, size_t extra);
int buf_append(struct buf *b, const void *data, size_t n);
int buf_kv(struct buf *b, const char *key, const char *value);
int buf_kvl(struct buf *b, const char *key, long long value);
int valid_name(const char *name);
int valid_relative_path(const char *path);
int valid_absolute_path(const char *path);

/* process.c */
struct proc *proc_table(void);
struct proc *proc_by_id(uint32_t id);
struct proc *proc_by_name(const char *name);
struct proc *proc_by_pid(pid_t pid);
int spec_from_fields(const struct fields *f, struct process_spec *spec, int is_create,
                     char *err, size_t errlen);
/* start_container and start_exec return 0, or fill code/err and return -1. */
int start_container(uint32_t id, struct process_spec *spec, const char **code, char *err,
                    size_t errlen);
int start_exec(uint32_t id, struct proc *container, struct process_spec *spec,
               long long timeout_s, const char **code, char *err, size_t errlen);

/* cgroup.c */
/* cgroup_prepare makes the container's group and returns an fd of its cgroup.procs, or -1. */
int cgroup_prepare(const char *name);
/* cgroup_join moves the calling process into the group whose cgroup.procs fd is given. */
void cgroup_join(int procs_fd);
void cgroup_remove(const char *name);
/* cgroup_stats appends the container's usage fields to b; -1 when there are no figures. */
int cgroup_stats(const char *name, struct buf *b);
int cgroup_update(const char *name, const char *cpu_max, const char *memory_max, char *err,
                  size_t errlen);

/* rootfs.c */
void child_fail(int errfd, const char *fmt, ...) __attribute__((noreturn, format(printf, 2, 3)));
int mkdir_p(const char *path, mode_t mode);
void setup_root(int errfd, const char *root, const struct process_spec *spec);
void remove_container_files(const char *name);
void proc_free(struct proc *p);
long long now_ms(void);
void agent_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
