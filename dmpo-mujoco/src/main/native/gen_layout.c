/* Build-time generator: prints a Java source with the byte offsets of the mjModel / mjData fields that the
 * Java binding reads, computed with offsetof over MuJoCo's own X-macro lists (mjxmacro.h) of the installed headers. */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <mujoco/mujoco.h>
#include <mujoco/mjxmacro.h>

/* "MJ_M(nmocap)*3" -> "nmocap*3": MJ_M only marks a size field of mjModel. */
static void unwrap_mj_m(char* out, size_t cap, const char* s) {
  size_t k = 0;
  int skipped_close = 0;
  for (s += 5; *s && k + 1 < cap; s++) {
    if (*s == ')' && !skipped_close) { skipped_close = 1; continue; }
    if (*s != ' ') out[k++] = *s;
  }
  out[k] = 0;
}

int main(void) {
  printf("// GENERATED at build time by dmpo-mujoco/src/main/native/gen_layout.c from the installed MuJoCo headers.\n");
  printf("// Do not edit: rebuild instead.\n");
  printf("package io.dmpo.mujoco;\n\n");
  printf("/** Byte offsets of MuJoCo %d struct fields (offsetof over mjxmacro.h). */\n", mjVERSION_HEADER);
  printf("final class MjLayout {\n    private MjLayout() {}\n\n");
  printf("    /** mjVERSION_HEADER of the headers these offsets come from; checked against mj_version() at load. */\n");
  printf("    static final int VERSION_HEADER = %d;\n", mjVERSION_HEADER);
  printf("    static final long SIZEOF_MJMODEL = %zu;\n", sizeof(mjModel));
  printf("    static final long SIZEOF_MJDATA = %zu;\n", sizeof(mjData));
  printf("    static final long SIZEOF_MJTNUM = %zu;\n", sizeof(mjtNum));
  printf("    static final long SIZEOF_WARNINGSTAT = %zu;\n", sizeof(mjWarningStat));
  printf("    static final int NWARNING = %d;\n", (int)mjNWARNING);
  printf("    static final int WARN_BADQPOS = %d;\n", (int)mjWARN_BADQPOS);
  printf("    static final int WARN_BADQVEL = %d;\n", (int)mjWARN_BADQVEL);
  printf("    static final int WARN_BADQACC = %d;\n", (int)mjWARN_BADQACC);
  printf("    static final int WARN_BADCTRL = %d;\n", (int)mjWARN_BADCTRL);
  printf("    static final int OBJ_BODY = %d;\n", (int)mjOBJ_BODY);
  printf("    static final int OBJ_JOINT = %d;\n", (int)mjOBJ_JOINT);
  printf("    static final int OBJ_ACTUATOR = %d;\n", (int)mjOBJ_ACTUATOR);
  printf("    static final int OBJ_GEOM = %d;\n", (int)mjOBJ_GEOM);
  printf("    static final int OBJ_SITE = %d;\n", (int)mjOBJ_SITE);
  printf("    static final int OBJ_CAMERA = %d;\n\n", (int)mjOBJ_CAMERA);

  printf("    // mjModel int sizes\n");
#define X(name) printf("    static final long M_%s = %zu;\n", #name, offsetof(mjModel, name));
  MJMODEL_INTS
#undef X
  printf("    // mjModel.opt scalars\n");
#define X(type, name) printf("    static final long OPT_%s = %zu;\n", #name, offsetof(mjModel, opt) + offsetof(mjOption, name));
  MJOPTION_SCALARS
#undef X
  printf("    // mjModel pointer fields (each holds a pointer)\n");
#define X(type, name, n1, n2) printf("    static final long M_%s = %zu;\n", #name, offsetof(mjModel, name));
  MJMODEL_POINTERS
#undef X
  /* The same pointer fields as a table (name, offset, element type and size, rows, columns) so the binding can read
   * any mjModel array by name. Rows are a size field of mjModel; columns are a constant, or a size field whose name is
   * kept (nuser_*, nq, ...) and resolved against the loaded model. */
  printf("    /** mjModel arrays: {name, byte offset, C type, element bytes, rows field, columns (number or size field)}. */\n");
  printf("    static final String[][] MODEL_ARRAYS = {\n");
  {
    mjModel zero = {0};
    mjModel* m = &zero;
    MJMODEL_POINTERS_PREAMBLE(m)
#define X(type, name, n1, n2) \
    { char cols[64]; const char* n2s = #n2; \
      if (n2s[0] >= '0' && n2s[0] <= '9') snprintf(cols, sizeof cols, "%s", n2s); \
      else if (n2s[0] == 'n') snprintf(cols, sizeof cols, "%s", n2s); \
      else if (strncmp(n2s, "MJ_M(", 5) == 0) unwrap_mj_m(cols, sizeof cols, n2s); \
      else snprintf(cols, sizeof cols, "%ld", (long)(n2)); \
      printf("        {\"%s\", \"%zu\", \"%s\", \"%zu\", \"%s\", \"%s\"},\n", #name, offsetof(mjModel, name), #type, \
             sizeof(type), #n1, cols); }
    MJMODEL_POINTERS
#undef X
    (void)nuser_body; (void)nuser_jnt; (void)nuser_geom; (void)nuser_site; (void)nuser_cam; (void)nuser_tendon;
    (void)nuser_actuator; (void)nuser_sensor; (void)nq; (void)nv; (void)na; (void)nu; (void)nmocap;
  }
  printf("    };\n");
  printf("    /** mjOption vectors: {name, byte offset within mjModel, length}. */\n");
  printf("    static final String[][] OPTION_VECTORS = {\n");
#define X(name, n) printf("        {\"%s\", \"%zu\", \"%d\"},\n", #name, offsetof(mjModel, opt) + offsetof(mjOption, name), (int)(n));
  MJOPTION_VECTORS
#undef X
  printf("    };\n");
  printf("    /** mjOption scalars: {name, byte offset within mjModel, C type}. */\n");
  printf("    static final String[][] OPTION_SCALARS = {\n");
#define X(type, name) printf("        {\"%s\", \"%zu\", \"%s\"},\n", #name, offsetof(mjModel, opt) + offsetof(mjOption, name), #type);
  MJOPTION_SCALARS
#undef X
  printf("    };\n");
  printf("    // mjData pointer fields (each holds a pointer)\n");
#define X(type, name, n1, n2) printf("    static final long D_%s = %zu;\n", #name, offsetof(mjData, name));
  MJDATA_POINTERS
#undef X
  printf("    // mjData scalars\n");
#define X(type, name) printf("    static final long D_%s = %zu;\n", #name, offsetof(mjData, name));
  MJDATA_SCALAR
#undef X
  printf("    // mjData vectors\n");
#define X(type, name, n1, n2) printf("    static final long D_%s = %zu;\n", #name, offsetof(mjData, name));
  MJDATA_VECTOR
#undef X
  printf("}\n");
  return 0;
}
