/* Build-time generator: prints a Java source with the byte offsets of the mjModel / mjData fields that the
 * Java binding reads, computed with offsetof over MuJoCo's own X-macro lists (mjxmacro.h) of the installed headers. */
#include <stddef.h>
#include <stdio.h>
#include <mujoco/mujoco.h>
#include <mujoco/mjxmacro.h>

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
  printf("    static final int OBJ_ACTUATOR = %d;\n\n", (int)mjOBJ_ACTUATOR);

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
