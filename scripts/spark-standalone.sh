#!/usr/bin/env bash
# A Spark standalone cluster on this machine (loopback) for `./dmpo sweep --master spark://127.0.0.1:7077`, run from
# the jars of the dmpo-sweep module (no Spark download): one master and N one-core workers (docs/sweeps.md).
#   scripts/spark-standalone.sh start [WORKERS]   (default 2 workers; master spark://127.0.0.1:7077, UI :8080)
#   scripts/spark-standalone.sh status
#   scripts/spark-standalone.sh kill-worker K     (kill -9 worker K and the executor it launched: the kill test)
#   scripts/spark-standalone.sh stop
# State, logs and pid files: $SPARK_STATE (default runs/spark-standalone).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${SPARK_STATE:-$here/runs/spark-standalone}"
port="${SPARK_MASTER_PORT:-7077}"
master="spark://127.0.0.1:$port"
JAVA_HOME="${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}"
java="$JAVA_HOME/bin/java"
lib="$here/dmpo-sweep/target/lib"

# Spark's launcher finds its jars as $SPARK_HOME/jars when $SPARK_HOME/RELEASE exists: a two-entry home that points
# at the module's dependency directory is enough for the workers to start executors.
spark_home() {
  mkdir -p "$state/home"
  ln -sfn "$lib" "$state/home/jars"
  [ -f "$state/home/RELEASE" ] || echo "Spark from dmpo-sweep/target/lib (scripts/spark-standalone.sh)" > "$state/home/RELEASE"
  echo "$state/home"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

start() {
  local workers="${1:-2}"
  if [ ! -d "$lib" ] || [ ! -d "$here/dmpo-sweep/target/classes" ]; then
    echo "spark-standalone: build first (./dmpo sweep --help builds the module)" >&2
    exit 2
  fi
  mkdir -p "$state"
  local home; home="$(spark_home)"
  export SPARK_HOME="$home" SPARK_SCALA_VERSION=2.13 SPARK_LOCAL_IP=127.0.0.1 JAVA_HOME
  local cp="$here/dmpo-sweep/target/classes:$lib/*"
  # the daemons log at INFO into their own files (the module's log4j2.properties keeps a sweep's console to warnings)
  cat > "$state/log4j2-daemons.properties" <<'LOG'
rootLogger.level = info
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n
LOG
  local opts=(--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xmx512m
    "-Dlog4j2.configurationFile=$state/log4j2-daemons.properties")
  if ! alive "$state/master.pid"; then
    nohup "$java" "${opts[@]}" -cp "$cp" org.apache.spark.deploy.master.Master --host 127.0.0.1 --port "$port" \
      --webui-port 8080 > "$state/master.log" 2>&1 &
    echo $! > "$state/master.pid"
    for _ in $(seq 1 120); do grep -q "I have been elected leader" "$state/master.log" 2>/dev/null && break; sleep 0.5; done
    grep -q "I have been elected leader" "$state/master.log" || { echo "spark-standalone: the master did not start in 60 s (see $state/master.log)" >&2; exit 1; }
  fi
  for k in $(seq 1 "$workers"); do
    alive "$state/worker-$k.pid" && continue
    mkdir -p "$state/worker-$k"
    nohup "$java" "${opts[@]}" -cp "$cp" org.apache.spark.deploy.worker.Worker --host 127.0.0.1 --cores 1 --memory 4g \
      --work-dir "$state/worker-$k" --webui-port $((8080 + k)) "$master" > "$state/worker-$k.log" 2>&1 &
    echo $! > "$state/worker-$k.pid"
  done
  for k in $(seq 1 "$workers"); do
    for _ in $(seq 1 120); do grep -q "Successfully registered with master" "$state/worker-$k.log" 2>/dev/null && break; sleep 0.5; done
    grep -q "Successfully registered with master" "$state/worker-$k.log" \
      || { echo "spark-standalone: worker $k did not register in 60 s (see $state/worker-$k.log)" >&2; exit 1; }
  done
  status
}

status() {
  for f in "$state"/*.pid; do
    [ -e "$f" ] || { echo "spark-standalone: not running"; return; }
    n="$(basename "$f" .pid)"
    if alive "$f"; then echo "$n: pid $(cat "$f") running"; else echo "$n: not running"; fi
  done
  echo "master: $master (UI http://127.0.0.1:8080)"
}

kill_worker() {
  local k="$1" f="$state/worker-$1.pid"
  alive "$f" || { echo "spark-standalone: worker $k is not running" >&2; exit 2; }
  local pid; pid="$(cat "$f")"
  # the executor JVM the worker started (its child), then the worker: both die at once, as on a lost machine
  local children; children="$(pgrep -P "$pid" || true)"
  kill -9 "$pid" $children
  echo "killed worker $k (pid $pid${children:+, executor $children})"
}

stop() {
  for f in "$state"/worker-*.pid "$state"/master.pid; do
    [ -e "$f" ] || continue
    if alive "$f"; then
      pid="$(cat "$f")"
      children="$(pgrep -P "$pid" || true)"
      kill "$pid" $children 2>/dev/null || true
      for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done  # the port is free once it is gone
    fi
    rm -f "$f"
  done
  echo "spark-standalone: stopped"
}

case "${1:-}" in
  start) start "${2:-2}" ;;
  status) status ;;
  kill-worker) kill_worker "${2:?worker number}" ;;
  stop) stop ;;
  *) sed -n 2,8p "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
