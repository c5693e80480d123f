#!/usr/bin/env bash
# Build-time native step of dmpo-mujoco (run by exec-maven-plugin in generate-sources):
#  1. compiles and runs gen_layout.c -> target/generated-sources/mujoco/io/dmpo/mujoco/MjLayout.java
#  2. compiles mjshim.c -> target/classes/io/dmpo/mujoco/native/linux-x86_64/libdmpo_mjshim.so
set -euo pipefail
src="$(cd "$(dirname "$0")" && pwd)"
target="$1"
inc="${MUJOCO_INCLUDE:-/usr/include}"
if [ ! -f "$inc/mujoco/mujoco.h" ] || [ ! -f "$inc/mujoco/mjxmacro.h" ]; then
  echo "[dmpo-mujoco] ERROR: MuJoCo headers not found ($inc/mujoco/mujoco.h). Install them: apt-get install libmujoco-dev" >&2
  exit 1
fi
cc="${CC:-gcc}"
if ! command -v "$cc" >/dev/null 2>&1; then
  echo "[dmpo-mujoco] ERROR: C compiler '$cc' not found. Install it: apt-get install gcc" >&2
  exit 1
fi
lib=""
for cand in /usr/lib/x86_64-linux-gnu/libmujoco.so.2.2.2 /usr/lib/libmujoco.so.2.2.2 /usr/local/lib/libmujoco.so.2.2.2; do
  [ -f "$cand" ] && { lib="$cand"; break; }
done
if [ -z "$lib" ]; then
  echo "[dmpo-mujoco] ERROR: libmujoco.so.2.2.2 not found. Install it: apt-get install libmujoco-dev" >&2
  exit 1
fi
gen="$target/native-build"
out_java="$target/generated-sources/mujoco/io/dmpo/mujoco"
out_so="$target/classes/io/dmpo/mujoco/native/linux-x86_64"
mkdir -p "$gen" "$out_java" "$out_so"
"$cc" -O2 -Wall -I"$inc" -o "$gen/gen_layout" "$src/gen_layout.c"
"$gen/gen_layout" > "$out_java/MjLayout.java.tmp"
mv "$out_java/MjLayout.java.tmp" "$out_java/MjLayout.java"
"$cc" -O2 -Wall -shared -fPIC -I"$inc" -o "$out_so/libdmpo_mjshim.so" "$src/mjshim.c" "$lib" -ldl -lpthread
