/* skiff guest agent: key=value payloads and growable buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"

/* parse_fields splits a payload into key=value lines and unescapes each value in place.
 * The payload must have one spare byte after len (the caller's buffer keeps room for it). */
int parse_fields(char *payload, size_t len, struct fields *out, const char **err) {
  size_t lines = 0;
  out->items = NULL;
  out->count = 0;
  if (memchr(payload, '\0', len) != NULL) {
    *err = "payload holds a NUL byte";
    return -1;
  }
  for (size_t i = 0; i < len; i++)
    if (payload[i] == '\n') lines++;
  payload[len] = '\0';
  out->items = calloc(lines + 1, sizeof(struct field));
  if (out->items == NULL) {
    *err = "out of memory";
    return -1;
  }
  char *line = payload;
  char *end = payload + len;
  while (line < end) {
    char *nl = memchr(line, '\n', (size_t)(end - line));
    if (nl == NULL) nl = end; /* a last line without newline still counts */
    *nl = '\0';
    char *eq = strchr(line, '=');
    if (eq != NULL && eq != line) {
      *eq = '\0';
      char *r = eq + 1, *w = eq + 1;
      while (*r != '\0') {
        if (*r == '\\' && r[1] != '\0') {
          r++;
          *w++ = (*r == 'n') ? '\n' : *r;
          r++;
        } else {
          *w++ = *r++;
        }
      }
      *w = '\0';
      out->items[out->count].key = line;
      out->items[out->count].value = eq + 1;
      out->count++;
    }
    line = nl + 1;
  }
  return 0;
}

/* field_get returns the last value of key, or NULL. */
const char *field_get(const struct fields *f, const char *key) {
  const char *found = NULL;
  for (size_t i = 0; i < f->count; i++)
    if (strcmp(f->items[i].key, key) == 0) found = f->items[i].value;
  return found;
}

int buf_reserve(struct buf *b, size_t extra) {
  if (b->off > 0 && b->off == b->len) b->off = b->len = 0;
  if (b->len + extra <= b->cap) return 0;
  if (b->off > 0) { /* reclaim consumed space before growing */
    memmove(b->data, b->data + b->off, b->len - b->off);
    b->len -= b->off;
    b->off = 0;
    if (b->len + extra <= b->cap) return 0;
  }
  size_t cap = b->cap ? b->cap : 4096;
  while (cap < b->len + extra) {
    if (cap > ((size_t)1 << 40)) return -1;
    cap *= 2;
  }
  char *p = realloc(b->data, cap);
  if (p == NULL) return -1;
  b->data = p;
  b->cap = cap;
  return 0;
}

int buf_append(struct buf *b, const void *data, size_t n) {
  if (buf_reserve(b, n) < 0) return -1;
  memcpy(b->data + b->len, data, n);
  b->len += n;
  return 0;
}

/* buf_kv appends one key=value line, escaping backslash and newline. */
int buf_kv(struct buf *b, const char *key, const char *value) {
  size_t klen = strlen(key), vlen = strlen(value);
  if (buf_reserve(b, klen + 2 * vlen + 2) < 0) return -1;
  memcpy(b->data + b->len, key, klen);
  b->len += klen;
  b->data[b->len++] = '=';
  for (size_t i = 0; i < vlen; i++) {
    char c = value[i];
    if (c == '\\' || c == '\n') {
      b->data[b->len++] = '\\';
      c = (c == '\n') ? 'n' : c;
    }
    b->data[b->len++] = c;
  }
  b->data[b->len++] = '\n';
  return 0;
}

int buf_kvl(struct buf *b, const char *key, long long value) {
  char num[32];
  snprintf(num, sizeof num, "%lld", value);
  return buf_kv(b, key, num);
}

/* valid_name: 1-128 characters of [A-Za-z0-9_.-], not "." or "..". */
int valid_name(const char *name) {
  size_t n = strlen(name);
  if (n == 0 || n > MAX_NAME || strcmp(name, ".") == 0 || strcmp(name, "..") == 0) return 0;
  for (size_t i = 0; i < n; i++) {
    char c = name[i];
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
          c == '_' || c == '.' || c == '-'))
      return 0;
  }
  return 1;
}

static int has_dotdot(const char *path) {
  const char *p = path;
  while (*p != '\0') {
    const char *slash = strchr(p, '/');
    size_t n = slash ? (size_t)(slash - p) : strlen(p);
    if (n == 2 && p[0] == '.' && p[1] == '.') return 1;
    if (slash == NULL) break;
    p = slash + 1;
  }
  return 0;
}

/* valid_relative_path: not absolute, no "..", no ':' or ',' (overlay options), bounded. */
int valid_relative_path(const char *path) {
  size_t n = strlen(path);
  return n > 0 && n <= MAX_PATH_LEN && path[0] != '/' && !has_dotdot(path) &&
         strpbrk(path, ":,") == NULL;
}

/* valid_absolute_path: absolute, no "..", bounded. */
int valid_absolute_path(const char *path) {
  size_t n = strlen(path);
  return n > 0 && n <= MAX_PATH_LEN && path[0] == '/' && !has_dotdot(path);
}
