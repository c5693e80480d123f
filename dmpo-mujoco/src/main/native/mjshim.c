/* dmpo MuJoCo shim: contains mju_error. MuJoCo 2.2.2's default error handler prints "Press Enter to exit",
 * waits on stdin and calls exit(1), which would kill the JVM. Every MuJoCo call that may raise an error goes
 * through a guarded wrapper here: a thread-local setjmp point, and an mju_user_error handler that longjmps
 * back to it, so the wrapper returns a non-zero code and the message, and Java throws an exception.
 * After a longjmp the mjData is in an undefined state (its stack is not unwound): the caller must reset it. */
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <mujoco/mujoco.h>

#define MSG_LEN 1024
static __thread jmp_buf* guard = NULL;
static __thread char error_msg[MSG_LEN];
static __thread char warning_msg[MSG_LEN];
static __thread int warning_count = 0;

static void on_error(const char* msg) {
  snprintf(error_msg, MSG_LEN, "%s", msg ? msg : "unknown MuJoCo error");
  if (guard) longjmp(*guard, 1);
  /* an error outside any guarded call: we cannot return (MuJoCo would exit) and cannot wait on stdin */
  fprintf(stderr, "dmpo: fatal MuJoCo error outside a guarded call: %s\n", error_msg);
  fflush(stderr);
  abort();
}

static void on_warning(const char* msg) {
  snprintf(warning_msg, MSG_LEN, "%s", msg ? msg : "");
  warning_count++;
}

/* Installs the handlers; returns mj_version(). */
int dmpo_init(void) {
  mju_user_error = on_error;
  mju_user_warning = on_warning;
  return mj_version();
}

const char* dmpo_error_message(void) { return error_msg; }
const char* dmpo_warning_message(void) { return warning_msg; }
int dmpo_warning_count(void) { return warning_count; }

#define GUARDED(body)                         \
  jmp_buf jb;                                 \
  jmp_buf* volatile prev = guard;             \
  if (setjmp(jb)) { guard = prev; return 1; } \
  guard = &jb;                                \
  body;                                       \
  guard = prev;                               \
  return 0;

/* n mj_step calls; then mj_rnePostConstraint if rne != 0 (fills cacc, cfrc_int, cfrc_ext). */
int dmpo_step(const mjModel* m, mjData* d, int n, int rne) {
  GUARDED(for (int i = 0; i < n; i++) mj_step(m, d); if (rne) mj_rnePostConstraint(m, d))
}

int dmpo_forward(const mjModel* m, mjData* d, int rne) {
  GUARDED(mj_forward(m, d); if (rne) mj_rnePostConstraint(m, d))
}

int dmpo_reset(const mjModel* m, mjData* d) {
  GUARDED(mj_resetData(m, d))
}

int dmpo_make_data(const mjModel* m, mjData** out) {
  *out = NULL;
  GUARDED(*out = mj_makeData(m))
}

/* Parse errors come back in err (MuJoCo's own message); errors raised through mju_error are caught too. */
int dmpo_load_xml(const char* path, char* err, int err_len, mjModel** out) {
  *out = NULL;
  err[0] = 0;
  jmp_buf jb;
  jmp_buf* volatile prev = guard;
  if (setjmp(jb)) { guard = prev; snprintf(err, err_len, "%s", error_msg); return 1; }
  guard = &jb;
  *out = mj_loadXML(path, NULL, err, err_len);
  guard = prev;
  return *out ? 0 : 1;
}

/* Raises an error through MuJoCo's own mju_error (for tests of the containment). */
int dmpo_raise_error(const char* msg) {
  GUARDED(mju_error(msg))
}
