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

/* ------------------------------------------------------------------------------------------------------------------
 * Offscreen rendering, headless: an EGL surfaceless context (Mesa llvmpipe) per renderer, MuJoCo's offscreen
 * framebuffer sized to the image. libEGL is opened at run time (RTLD_GLOBAL, so MuJoCo's own GL loader finds
 * eglGetProcAddress): physics never needs GL, and a machine without it gets one clear message, not a link error.
 * A GL context is current on one OS thread: every function below that takes a renderer must run on the thread
 * that created it (the Java side gives each renderer a dedicated platform thread).
 * EGL's types and constants are declared here (they are fixed by the Khronos registry) so that building needs
 * no EGL headers. */
#include <dlfcn.h>
#include <pthread.h>
#include <time.h>

typedef void* EGLDisplay;
typedef void* EGLContext;
typedef void* EGLConfig;
typedef void* EGLSurface;
typedef int EGLint;
typedef unsigned int EGLBoolean;
typedef unsigned int EGLenum;
#define EGL_NONE 0x3038
#define EGL_OPENGL_API 0x30A2
#define EGL_PLATFORM_SURFACELESS_MESA 0x31DD
#define EGL_RENDERABLE_TYPE 0x3040
#define EGL_OPENGL_BIT 0x0008
#define EGL_PBUFFER_BIT 0x0001
#define EGL_SURFACE_TYPE 0x3033

static struct {
  int state; /* 0 not tried, 1 ready, -1 failed (the failure is final: see dmpo_gl_open) */
  char error[MSG_LEN];
  EGLDisplay display;
  EGLBoolean (*initialize)(EGLDisplay, EGLint*, EGLint*);
  EGLBoolean (*bind_api)(EGLenum);
  EGLBoolean (*choose_config)(EGLDisplay, const EGLint*, EGLConfig*, EGLint, EGLint*);
  EGLContext (*create_context)(EGLDisplay, EGLConfig, EGLContext, const EGLint*);
  EGLBoolean (*make_current)(EGLDisplay, EGLSurface, EGLSurface, EGLContext);
  EGLBoolean (*destroy_context)(EGLDisplay, EGLContext);
  EGLint (*get_error)(void);
} gl = {0};
static pthread_mutex_t gl_lock = PTHREAD_MUTEX_INITIALIZER;

#define EGL_PACKAGES "libegl1 libegl-mesa0 libgl1-mesa-dri"

/* Opens libEGL (library: its file name, NULL for libEGL.so.1) and the surfaceless display once per process; returns
 * 0, or 1 with a one-line message in err. */
int dmpo_gl_open(const char* library, char* err, int err_len) {
  pthread_mutex_lock(&gl_lock);
  if (gl.state == 0) {
    gl.state = -1;
    /* llvmpipe rasterizes with one thread per core by default; for the small images of a policy's camera the thread
     * hand-offs cost more than they save (lift 96x96: 0.52 instead of 0.64 ms per frame here), and the envs run in
     * parallel anyway. A user's own LP_NUM_THREADS is kept. */
    setenv("LP_NUM_THREADS", "0", 0);
    const char* name = library ? library : "libEGL.so.1";
    void* lib = dlopen(name, RTLD_NOW | RTLD_GLOBAL);
    if (!lib) {
      snprintf(gl.error, MSG_LEN, "cannot load %s for offscreen rendering (%s); install: apt-get install " EGL_PACKAGES,
               name, dlerror());
    } else {
      void* (*get_proc)(const char*) = (void* (*)(const char*))dlsym(lib, "eglGetProcAddress");
      EGLDisplay (*platform_display)(EGLenum, void*, const void*) =
          get_proc ? (EGLDisplay (*)(EGLenum, void*, const void*))get_proc("eglGetPlatformDisplayEXT") : NULL;
      gl.initialize = dlsym(lib, "eglInitialize");
      gl.bind_api = dlsym(lib, "eglBindAPI");
      gl.choose_config = dlsym(lib, "eglChooseConfig");
      gl.create_context = dlsym(lib, "eglCreateContext");
      gl.make_current = dlsym(lib, "eglMakeCurrent");
      gl.destroy_context = dlsym(lib, "eglDestroyContext");
      gl.get_error = dlsym(lib, "eglGetError");
      EGLint major = 0, minor = 0;
      if (!platform_display || !gl.initialize || !gl.bind_api || !gl.choose_config || !gl.create_context ||
          !gl.make_current || !gl.destroy_context || !gl.get_error) {
        snprintf(gl.error, MSG_LEN, "libEGL.so.1 lacks the surfaceless platform (EGL_MESA_platform_surfaceless); install: apt-get install "
                 EGL_PACKAGES);
      } else if (!(gl.display = platform_display(EGL_PLATFORM_SURFACELESS_MESA, NULL, NULL)) ||
                 !gl.initialize(gl.display, &major, &minor)) {
        snprintf(gl.error, MSG_LEN, "cannot open a headless EGL display (EGL error 0x%x); install Mesa's EGL and software "
                 "renderer: apt-get install " EGL_PACKAGES, gl.get_error());
      } else if (!gl.bind_api(EGL_OPENGL_API)) {
        snprintf(gl.error, MSG_LEN, "the EGL display has no desktop OpenGL (EGL error 0x%x); install: apt-get install " EGL_PACKAGES,
                 gl.get_error());
      } else {
        gl.state = 1;
      }
    }
  }
  int ok = gl.state == 1;
  if (!ok) snprintf(err, err_len, "%s", gl.error);
  pthread_mutex_unlock(&gl_lock);
  return ok ? 0 : 1;
}

typedef struct {
  EGLContext context;
  mjvScene scene;
  mjvOption option;
  mjvCamera camera;
  mjrContext con;
  int width, height;
  unsigned char* rgb; /* HWC, bottom-up: MuJoCo's readout */
  float* depth;
  double znear, zfar; /* metres */
} dmpo_renderer;

static int contexts_made = 0; /* MuJoCo contexts ever made in this process (under gl_lock) */

/* Creates a renderer on the calling thread (which it binds to): an EGL context made current, MuJoCo's scene and
 * context with the offscreen buffer sized width x height. lean != 0 turns off shadows, reflections and
 * multisampling (the measured 20 ms -> ~1 ms per 96x96 frame). Returns 0; 2 with a message in err when
 * rendering is unavailable in this process (no EGL / GL, or MuJoCo's first GL context failed: its one-time GL loader
 * cannot be retried); 1 for a failure of this renderer only (e.g. a model MuJoCo cannot render). */
int dmpo_render_create(const char* egl_library, mjModel* m, int width, int height, int lean, int max_geom,
                       dmpo_renderer** out, char* err, int err_len) {
  *out = NULL;
  if (dmpo_gl_open(egl_library, err, err_len)) return 2;
  /* MuJoCo draws into its own framebuffer object: the config only has to offer desktop GL (surface type pbuffer,
   * since the default, window, does not exist on the surfaceless platform) */
  EGLint attributes[] = {EGL_RENDERABLE_TYPE, EGL_OPENGL_BIT, EGL_SURFACE_TYPE, EGL_PBUFFER_BIT, EGL_NONE};
  EGLConfig config = NULL;
  EGLint n = 0;
  if (!gl.bind_api(EGL_OPENGL_API) || !gl.choose_config(gl.display, attributes, &config, 1, &n) || n < 1) {
    snprintf(err, err_len, "no EGL config with desktop OpenGL (EGL error 0x%x); install: apt-get install " EGL_PACKAGES, gl.get_error());
    return 2;
  }
  EGLint no_attributes[] = {EGL_NONE}; /* no profile requested: a compatibility context, which mjr_makeContext needs */
  EGLContext context = gl.create_context(gl.display, config, NULL, no_attributes);
  if (!context) {
    snprintf(err, err_len, "cannot create an OpenGL context (EGL error 0x%x)", gl.get_error());
    return 2;
  }
  if (!gl.make_current(gl.display, NULL, NULL, context)) {
    snprintf(err, err_len, "cannot make the OpenGL context current without a surface (EGL error 0x%x)", gl.get_error());
    gl.destroy_context(gl.display, context);
    return 2;
  }
  dmpo_renderer* r = calloc(1, sizeof(dmpo_renderer));
  unsigned char* rgb = malloc((size_t)3 * width * height);
  float* depth = malloc(sizeof(float) * width * height);
  if (!r || !rgb || !depth) {
    snprintf(err, err_len, "out of memory for a %dx%d renderer", width, height);
    free(r); free(rgb); free(depth);
    gl.make_current(gl.display, NULL, NULL, NULL);
    gl.destroy_context(gl.display, context);
    return 1;
  }
  r->context = context;
  r->width = width;
  r->height = height;
  r->rgb = rgb;
  r->depth = depth;
  mjv_defaultScene(&r->scene);
  mjv_defaultOption(&r->option);
  mjv_defaultCamera(&r->camera);
  mjr_defaultContext(&r->con);
  /* mjr_makeContext reads the offscreen size and sampling from the model: set them for this renderer, then restore
   * (physics never reads these fields; the lock keeps two renderers of one model from interleaving). */
  pthread_mutex_lock(&gl_lock);
  int ow = m->vis.global.offwidth, oh = m->vis.global.offheight, os = m->vis.quality.offsamples;
  m->vis.global.offwidth = width;
  m->vis.global.offheight = height;
  if (lean) m->vis.quality.offsamples = 0;
  jmp_buf jb;
  jmp_buf* volatile prev = guard;
  int failed = 0;
  if (setjmp(jb)) {
    failed = 1;
  } else {
    guard = &jb;
    mjv_makeScene(m, &r->scene, max_geom);
    mjr_makeContext(m, &r->con, mjFONTSCALE_50 /* the smallest font set: nothing is drawn as text offscreen */);
    mjr_setBuffer(mjFB_OFFSCREEN, &r->con);
  }
  guard = prev;
  int first = contexts_made == 0;
  if (!failed) contexts_made++;
  m->vis.global.offwidth = ow;
  m->vis.global.offheight = oh;
  m->vis.quality.offsamples = os;
  pthread_mutex_unlock(&gl_lock);
  if (failed || r->con.currentBuffer != mjFB_OFFSCREEN || r->con.offWidth < width || r->con.offHeight < height) {
    snprintf(err, err_len, "%s", failed ? error_msg : "MuJoCo could not make an offscreen buffer of the image size");
    mjr_freeContext(&r->con);
    mjv_freeScene(&r->scene);
    gl.make_current(gl.display, NULL, NULL, NULL);
    gl.destroy_context(gl.display, context);
    free(r->rgb); free(r->depth); free(r);
    return failed && first ? 2 : 1;
  }
  if (lean) {
    r->scene.flags[mjRND_SHADOW] = 0;
    r->scene.flags[mjRND_REFLECTION] = 0;
  }
  double extent = m->stat.extent;
  r->znear = m->vis.map.znear * extent;
  r->zfar = m->vis.map.zfar * extent;
  *out = r;
  return 0;
}

/* Renders camera `camera` (-1: the free camera) of state d and writes the image top-down: rgb as uint8 C x H x W
 * (channel planes, the pixel actor's layout) and, when depth != NULL, metric depth H x W in metres. */
int dmpo_render_frame(dmpo_renderer* r, const mjModel* m, mjData* d, int camera, unsigned char* rgb, float* depth) {
  jmp_buf jb;
  jmp_buf* volatile prev = guard;
  if (setjmp(jb)) { guard = prev; return 1; }
  guard = &jb;
  if (camera >= 0) {
    r->camera.type = mjCAMERA_FIXED;
    r->camera.fixedcamid = camera;
  } else {
    r->camera.type = mjCAMERA_FREE;
  }
  mjrRect viewport = {0, 0, r->width, r->height};
  mjv_updateScene(m, d, &r->option, NULL, &r->camera, mjCAT_ALL, &r->scene);
  if (r->scene.ngeom >= r->scene.maxgeom) { /* MuJoCo drops the rest with a warning: an image missing objects */
    guard = prev;
    snprintf(error_msg, MSG_LEN, "the scene has more than %d geoms to draw; the renderer's geom buffer is full", r->scene.maxgeom);
    return 1;
  }
  mjr_render(viewport, &r->scene, &r->con);
  mjr_readPixels(r->rgb, depth ? r->depth : NULL, viewport, &r->con);
  guard = prev;
  const int w = r->width, h = r->height, plane = w * h;
  for (int y = 0; y < h; y++) {
    const unsigned char* src = r->rgb + (size_t)3 * (h - 1 - y) * w; /* readout rows are bottom-up */
    unsigned char* red = rgb + (size_t)y * w;
    unsigned char* green = red + plane;
    unsigned char* blue = green + plane;
    for (int x = 0; x < w; x++) {
      red[x] = src[3 * x];
      green[x] = src[3 * x + 1];
      blue[x] = src[3 * x + 2];
    }
  }
  if (depth) {
    /* the depth buffer holds the perspective-projected value z_b in [0, 1]: invert it to metres */
    const double n = r->znear, f = r->zfar;
    for (int y = 0; y < h; y++) {
      const float* src = r->depth + (size_t)(h - 1 - y) * w;
      float* dst = depth + (size_t)y * w;
      for (int x = 0; x < w; x++) dst[x] = (float)(n / (1.0 - src[x] * (1.0 - n / f)));
    }
  }
  return 0;
}

/* Frees a renderer; on its own thread. */
void dmpo_render_free(dmpo_renderer* r) {
  if (!r) return;
  mjr_freeContext(&r->con);
  mjv_freeScene(&r->scene);
  gl.make_current(gl.display, NULL, NULL, NULL);
  gl.destroy_context(gl.display, r->context);
  free(r->rgb);
  free(r->depth);
  free(r);
}

/* The C reference loop for `env bench --render`: n frames of the same calls, timed here; returns seconds. */
double dmpo_render_loop(dmpo_renderer* r, const mjModel* m, mjData* d, int camera, unsigned char* rgb, int n) {
  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  for (int i = 0; i < n; i++) {
    if (dmpo_render_frame(r, m, d, camera, rgb, NULL)) return -1;
  }
  clock_gettime(CLOCK_MONOTONIC, &b);
  return (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
}
