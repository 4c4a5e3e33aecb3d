# Sourced by ./mvnw and bin/* scripts: exports JAVA_HOME pointing at a JDK 21 or newer.
# Why: Debian's default java here is 17, while Runnel targets Java 21; a newer JDK (Temurin 25)
# sits beside it under /usr/lib/jvm. An explicit JAVA_HOME of 21+ always wins.
runnel_java_major() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
runnel_find_jdk() {
  if [ -n "${JAVA_HOME-}" ] && [ -x "$JAVA_HOME/bin/javac" ] && [ "$(runnel_java_major "$JAVA_HOME")" -ge 21 ] 2>/dev/null; then
    return 0
  fi
  # find instead of a glob: ./mvnw runs with globbing off (set -f).
  for candidate in $(find /usr/lib/jvm "$HOME/.sdkman/candidates/java" -mindepth 1 -maxdepth 1 2>/dev/null | sort -rV); do
    [ -x "$candidate/bin/javac" ] || continue
    major=$(runnel_java_major "$candidate")
    if [ "${major:-0}" -ge 21 ] 2>/dev/null; then JAVA_HOME="$candidate"; export JAVA_HOME; return 0; fi
  done
  echo "Runnel needs a JDK 21 or newer (set JAVA_HOME). Debian: apt-get install openjdk-21-jdk or temurin-21-jdk." >&2
  return 1
}
runnel_find_jdk
