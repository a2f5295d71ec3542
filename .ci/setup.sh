#!/usr/bin/env bash
# Installs everything segcam needs on a fresh Debian 12 machine (as root):
# OpenCV 4.6 and its FFmpeg/GStreamer backends, ffmpeg (test clips), Chromium
# (browser tests), the GStreamer RTSP server (RTSP tests), then the npm packages,
# building @u4/opencv4nodejs against Debian's OpenCV (about 5 minutes on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  libopencv-dev ffmpeg chromium fonts-dejavu-core
  python3-gi python3-gst-1.0 gir1.2-gst-rtsp-server-1.0
  gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-plugins-ugly
  gstreamer1.0-rtsp gstreamer1.0-libav
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# The package.json "opencv4nodejs" section is not honoured by npm install here: without
# these the binding tries to clone and build OpenCV from the network.
export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
export OPENCV_INCLUDE_DIR=/usr/include/opencv4
export OPENCV_LIB_DIR=/usr/lib/x86_64-linux-gnu
export OPENCV_BIN_DIR=/usr/bin
if [ -f node_modules/.package-lock.json ] && cmp -s package-lock.json node_modules/.segcam-lock; then
  echo "npm packages up to date"
else
  npm ci --no-audit --no-fund
  cp package-lock.json node_modules/.segcam-lock
fi
