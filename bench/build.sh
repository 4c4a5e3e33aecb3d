# Sourced by bench/run and bench/profile (from the repo root, after bin/find-jdk.sh): builds what a
# benchmark needs and sets bench_cp. Maven's own start-up warnings are filtered out of its output.

mvn() { ./mvnw -B -q "$@" 2>&1 | grep -v -e 'sun.misc.Unsafe' -e 'HiddenClassDefiner' -e 'terminally deprecated' -e 'WARNING: Please consider' >&2 || true; }

# The harness itself (not a reactor module of its own necessarily: -f works either way).
build_bench() {
  mvn -f bench/pom.xml package
  [ -f bench/target/runnel-bench.jar ] || { echo "$0: building bench/ failed" >&2; exit 1; }
  bench_cp="$PWD/bench/target/runnel-bench.jar:$(cat bench/target/bench.classpath)"
}

# Runnel's broker: rebuilt when its sources are newer than the jar.
build_broker() {
  local jar=broker-native/target/quarkus-app/quarkus-run.jar
  if [ ! -f "$jar" ] || [ -n "$(find broker-native/src broker-native/pom.xml pom.xml -newer "$jar" -print -quit)" ]; then
    echo "$0: building broker-native"
    ./mvnw -B -q -pl broker-native -am package -DskipTests >&2 || {
      [ -f "$jar" ] || { echo "$0: broker-native does not build and no jar exists" >&2; exit 1; }
      echo "$0: WARNING: broker-native did not build; benchmarking the existing (older) jar" >&2; }
  fi
}
