#!/usr/bin/env bash
# Measures how long `hearth serve` takes from launch until GET /health answers 200: RUNS starts each, without a
# model and with MODEL, printing each time and the median in milliseconds.
#   deploy/startup-time.sh [--launcher] [RUNS] [MODEL.gguf] [-- extra JVM flags...]
# Runs `java -jar hearth-cli/target/hearth.jar` (the JDK 25+ in JAVA_HOME or /usr/lib/jvm/temurin-25-jdk-amd64), or
# with --launcher the ./hearth script (JVM flags then go in HEARTH_JAVA_OPTS; it brings its AOT cache).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
launcher=""
if [[ ${1:-} == --launcher ]]; then launcher=1; shift; fi
runs=${1:-5}
model=${2:-$root/../shared/fixtures/models/llama-spm-q8_0.gguf}
shift $(( $# > 2 ? 2 : $# ))
[[ ${1:-} == -- ]] && shift
jar=$root/hearth-cli/target/hearth.jar
[[ -f $jar ]] || { echo "startup-time: build the jar first (./hearth --help does)" >&2; exit 1; }
java=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}/bin/java
port=$(( 20000 + RANDOM % 20000 ))

# One start: launch, poll /health every 5 ms, print the milliseconds until 200, stop it.
once() {
  local start end pid
  start=$(date +%s%N)
  if [[ -n $launcher ]]; then
    HEARTH_JAVA_OPTS="$*" "$root/hearth" serve --port "$port" ${with_model:+-m "$model"} >/dev/null 2>&1 &
  else
    "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "$@" -jar "$jar" serve --port "$port" \
      ${with_model:+-m "$model"} >/dev/null 2>&1 &
  fi
  pid=$!
  until [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/health" 2>/dev/null) == 200 ]]; do
    kill -0 "$pid" 2>/dev/null || { echo "startup-time: serve exited" >&2; return 1; }
    sleep 0.005
  done
  end=$(date +%s%N)
  kill -TERM "$pid"
  wait "$pid" 2>/dev/null || true
  echo $(( (end - start) / 1000000 ))
}

for with_model in "" 1; do
  times=()
  for ((i = 0; i < runs; i++)); do times+=("$(once "$@")"); done
  median=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(( (runs + 1) / 2 ))p")
  label="no model"; [[ -n $with_model ]] && label="with model"
  echo "$label: ${times[*]} ms (median $median)"
done
