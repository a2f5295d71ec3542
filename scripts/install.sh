#!/usr/bin/env bash
# Installs segcam from this folder on Debian 12, then starts it on its default source
# (camera 0, or the demo scene when there is no camera):
#
#   bash scripts/install.sh              # as root, or as a user who may sudo (for apt-get only)
#   bash scripts/install.sh --no-start   # install only (CI, .ci/setup.sh)
#
# 1. Node.js: checks the version package.json asks for ("engines"); Debian 12's own nodejs is
#    18, too old: the script stops and says what to install.
# 2. Debian packages: OpenCV 4.6 with its FFmpeg backend, the compiler for the OpenCV binding,
#    ffmpeg (test clips), Chromium (browser tests), the GStreamer RTSP server (RTSP tests),
#    mosquitto (MQTT tests), ONNX and numpy (a tiny test model), v4l-utils (camera controls).
#    Only the missing ones are installed.
# 3. npm packages: `npm ci`, building @u4/opencv4nodejs against Debian's OpenCV (5-10 minutes
#    on two cores), skipped when node_modules already matches package-lock.json.
#
# Run again, it checks everything in a second or two and changes nothing. It finds node, npm,
# dpkg-query, apt-get and sudo on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."

start=1
for arg in "$@"; do
  case "$arg" in
    --no-start) start=0 ;;
    -h | --help)
      sed -n '2,6s/^# \{0,1\}//p' "$0"
      exit 0
      ;;
    *)
      echo "install.sh: unknown argument '$arg' (usage: bash scripts/install.sh [--no-start])" >&2
      exit 2
      ;;
  esac
done

say() { printf 'segcam install: %s\n' "$*"; }

if [ ! -f package.json ] || [ ! -f package-lock.json ]; then
  echo "install.sh: run this from a copy of the segcam repository (no package.json and package-lock.json in $PWD)." >&2
  exit 1
fi

# --- 1. Node.js ------------------------------------------------------------------------------
# The minimum is package.json's "engines": { "node": ">=X.Y" } (read without node: it may be missing).
required=$(sed -n 's/.*"node"[[:space:]]*:[[:space:]]*">=[[:space:]]*\([0-9][0-9.]*\)".*/\1/p' package.json | head -n 1)
required=${required:-20.19}
IFS=. read -r req_major req_minor req_patch <<<"$required"
req_minor=${req_minor:-0}
req_patch=${req_patch:-0}

have=""
if command -v node >/dev/null 2>&1; then have=$(node --version 2>/dev/null || true); fi
# new_enough VERSION: is "vMAJOR.MINOR.PATCH" at least the required version?
new_enough() {
  [[ "$1" =~ ^v([0-9]+)\.([0-9]+)\.([0-9]+) ]] || return 1
  local major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]} patch=${BASH_REMATCH[3]}
  if ((major != req_major)); then
    ((major > req_major))
  elif ((minor != req_minor)); then
    ((minor > req_minor))
  else
    ((patch >= req_patch))
  fi
}
if ! new_enough "$have"; then
  {
    if [ -n "$have" ]; then
      echo "segcam needs Node.js $required or newer; this machine has $have (Debian 12's nodejs package is 18)."
    else
      echo "segcam needs Node.js $required or newer; there is no node on PATH."
    fi
    cat <<EOF
Install Node.js 20 from NodeSource's Debian packages (system-wide):

  curl -fsSL https://deb.nodesource.com/setup_20.x -o /tmp/nodesource_setup.sh
  sudo bash /tmp/nodesource_setup.sh
  sudo apt-get install -y nodejs

or for your user only with nvm (https://github.com/nvm-sh/nvm), then run this script as that user:

  nvm install 20

Then run again: bash scripts/install.sh
EOF
  } >&2
  exit 1
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "segcam needs npm beside node $have, and there is none on PATH: install Node.js 20 with its npm (NodeSource's nodejs package includes it)." >&2
  exit 1
fi
say "node $have (needs $required or newer): ok"

# --- 2. Debian packages ----------------------------------------------------------------------
packages=(
  # OpenCV and what builds the binding against it (node-gyp: a C++ compiler, make, python3)
  libopencv-dev build-essential python3
  # capture: camera controls; HTTPS/RTSPS sources
  v4l-utils ca-certificates
  # tests: clips (ffmpeg/ffprobe), HTTP checks (curl), the browser (Chromium and a font)
  ffmpeg curl chromium fonts-dejavu-core
  # tests: the RTSP server (GStreamer from Python) and RTSP publishing
  python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  gstreamer1.0-plugins-bad gstreamer1.0-rtsp gstreamer1.0-libav
  # tests: the MQTT broker; a tiny ONNX model made with Python
  mosquitto python3-onnx python3-numpy
)
# One dpkg-query for all of them: it prints a line for each package it knows (and complains,
# with a non-zero status, about those it has never heard of: they are missing too).
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${packages[@]}" 2>/dev/null || true)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p install ok installed" <<<"$installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  say "Debian packages: all ${#packages[@]} already installed"
else
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
      echo "install.sh: these Debian packages are missing and installing them needs root: ${missing[*]}" >&2
      echo "Run this script as root, or install sudo." >&2
      exit 1
    fi
    sudo=(sudo)
  fi
  say "installing ${#missing[@]} Debian packages: ${missing[*]}"
  "${sudo[@]}" apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# --- 3. npm packages -------------------------------------------------------------------------
# The package.json "opencv4nodejs" section is not honoured by npm here: without these the
# binding tries to download and build OpenCV itself.
export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
export OPENCV_INCLUDE_DIR=/usr/include/opencv4
OPENCV_LIB_DIR=/usr/lib/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
export OPENCV_LIB_DIR
export OPENCV_BIN_DIR=/usr/bin
# node-gyp compiles against this Node's own headers (NodeSource and nvm install them beside
# node) instead of downloading them from nodejs.org.
node_prefix=$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")
if [ -z "${npm_config_nodedir:-}" ] && [ -f "$node_prefix/include/node/node.h" ]; then
  export npm_config_nodedir=$node_prefix
fi
# node_modules/.segcam-lock is the package-lock.json the last `npm ci` installed;
# node_modules/.segcam-abi the Node module ABI the OpenCV binding was built for (a new major
# Node needs a new build).
abi=$(node -p process.versions.modules)
if [ -f node_modules/.package-lock.json ] && cmp -s package-lock.json node_modules/.segcam-lock &&
  { [ ! -f node_modules/.segcam-abi ] || [ "$(cat node_modules/.segcam-abi)" = "$abi" ]; }; then
  [ -f node_modules/.segcam-abi ] || echo "$abi" >node_modules/.segcam-abi
  say "npm packages: up to date (node_modules matches package-lock.json)"
else
  say "npm packages: npm ci (builds the OpenCV binding, 5-10 minutes the first time)"
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.segcam-lock
  echo "$abi" >node_modules/.segcam-abi
fi

if ((start == 0)); then
  say "done; start segcam with: npm start"
  exit 0
fi
say "starting segcam (Ctrl+C stops it)"
exec npm start
