#!/usr/bin/env bash
# Makes the base image Hearth's container is built on, without Docker or a registry: a JRE cut from the build's
# JDK 25 with jlink, the few shared libraries it loads (glibc and friends, copied from this machine), a non-root
# user and a health check, written as a `docker save` tarball that Jib reads with `tar://` (see hearth-cli's
# `image` profile). Jib then adds the application layers on top.
#   deploy/image/make-base-image.sh JDK_HOME|auto OUT_DIR MODULES
# OUT_DIR/hearth-base.tar is the image; OUT_DIR/root the file tree in its one layer.
set -euo pipefail

jdk=${1:?JDK home, or auto}
out=${2:?output directory}
modules=${3:?comma-separated JDK modules}
uid=10001 # the runtime user: not root, and not a uid a host account is likely to have

# auto: the JDK 25+ the build uses (Maven itself may run on an older one): JAVA_HOME, javac on the PATH, /usr/lib/jvm
if [[ $jdk == auto ]]; then
  jdk=""
  javac_home=$(dirname "$(dirname "$(readlink -f "$(command -v javac || echo /none/bin/javac)")")")
  for home in "${JAVA_HOME:-/none}" "$javac_home" /usr/lib/jvm/* /opt/java/* /opt/jdk*; do
    [[ -x $home/bin/jlink && -f $home/release ]] || continue
    v=$(sed -n 's/^JAVA_VERSION="\([0-9]*\).*/\1/p' "$home/release")
    if (( ${v:-0} >= 25 )); then jdk=$home; break; fi
  done
  [[ -n $jdk ]] || { echo "make-base-image: no JDK 25 or newer with jlink found (set JAVA_HOME to one)" >&2; exit 1; }
fi
[[ -x $jdk/bin/jlink ]] || { echo "make-base-image: no jlink in $jdk" >&2; exit 1; }
command -v ldd >/dev/null || { echo "make-base-image: needs ldd (glibc's) to find the JRE's shared libraries" >&2; exit 1; }

root=$out/root
rm -rf "$out"
mkdir -p "$root/opt" "$root/etc" "$root/tmp" "$root/models"

# --strip-debug and no headers/man pages: about 60 MB instead of 300
"$jdk/bin/jlink" --add-modules "$modules" --strip-debug --no-man-pages --no-header-files \
  --compress=zip-6 --output "$root/opt/java"
# The CDS archive of the JRE's own classes, so every start (and every health check) maps it instead of parsing
"$root/opt/java/bin/java" -Xshare:dump -version >/dev/null 2>&1 || true

# Every shared library an ELF file of the JRE needs, and what those need, with the dynamic loader: the image has
# no distribution under it. Copied under their own paths so the loader's default search finds them.
# The AWT/sound libraries of java.desktop (which Jackson and Jetty reference) are left out: a headless server never
# loads them, and they would pull in X11.
mapfile -t elves < <(find "$root/opt/java" -type f \( -name '*.so' -o -path '*/bin/*' \) \
  ! -name libawt_xawt.so ! -name libsplashscreen.so ! -name libjsound.so ! -name libjawt.so)
mapfile -t libs < <(for f in "${elves[@]}"; do ldd "$f" 2>/dev/null || true; done \
  | sed -n -e 's/.*=> \(\/[^ ]*\) (0x.*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) (0x.*/\1/p' | sort -u)
for lib in "${libs[@]}"; do
  [[ $lib == "$root"/* ]] && continue # the JRE's own libraries are already there
  mkdir -p "$root$(dirname "$lib")"
  cp -L "$lib" "$root$lib"
done

cat >"$root/etc/passwd" <<PASSWD
root:x:0:0:root:/root:/sbin/nologin
hearth:x:$uid:$uid:hearth:/models:/sbin/nologin
PASSWD
cat >"$root/etc/group" <<GROUP
root:x:0:
hearth:x:$uid:
GROUP
echo "hosts: files dns" >"$root/etc/nsswitch.conf"

# One layer, reproducible (sorted, fixed times, numeric owners): root owns everything but /models, which the
# runtime user owns so that a fresh volume mounted there (which copies the directory's owner) is writable.
chmod 1777 "$root/tmp"
chmod 755 "$root/models"
layer=$out/layer.tar
top=$(cd "$root" && ls -A | grep -vx models | tr '\n' ' ')
# shellcheck disable=SC2086 # top is a list of names without spaces
tar --sort=name --mtime=@1 --owner=0 --group=0 --numeric-owner -C "$root" -cf "$layer" $top
tar --mtime=@1 --owner=$uid --group=$uid --numeric-owner -C "$root" -rf "$layer" models
diff_id=sha256:$(sha256sum "$layer" | cut -d' ' -f1)

case $(uname -m) in
  x86_64) arch=amd64 ;;
  aarch64) arch=arm64 ;;
  *) arch=$(uname -m) ;;
esac

# Jib keeps a base image's health check (it has no setting for one): this is where the image's comes from. It runs
# a JDK-only probe class from the application layer Jib puts at /app/classes; times are in nanoseconds.
cat >"$out/config.json" <<CONFIG
{"architecture":"$arch","os":"linux",
 "config":{"User":"$uid:$uid","Env":["PATH=/opt/java/bin:/usr/bin:/bin","JAVA_HOME=/opt/java"],"WorkingDir":"/",
  "Healthcheck":{"Test":["CMD","/opt/java/bin/java","-Xshare:auto","-XX:TieredStopAtLevel=1","-XX:-UsePerfData","-Xmx16m",
    "-cp","/app/classes","dev.hearth.cli.HealthCheck"],
   "Interval":30000000000,"Timeout":10000000000,"StartPeriod":60000000000,"Retries":3}},
 "rootfs":{"type":"layers","diff_ids":["$diff_id"]},
 "history":[{"created":"1970-01-01T00:00:01Z","created_by":"deploy/image/make-base-image.sh: jlink $modules"}]}
CONFIG
echo '[{"Config":"config.json","RepoTags":["hearth-base:local"],"Layers":["layer.tar"]}]' >"$out/manifest.json"
tar --mtime=@1 --owner=0 --group=0 --numeric-owner -C "$out" -cf "$out/hearth-base.tar" manifest.json config.json layer.tar
rm "$layer"
echo "make-base-image: $out/hearth-base.tar ($(du -h "$out/hearth-base.tar" | cut -f1), JRE modules $modules, ${#libs[@]} system libraries)"
