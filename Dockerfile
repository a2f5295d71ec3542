# segcam in a container: Node.js 20 on Debian 12 (bookworm), OpenCV 4.6 from Debian.
#
#   docker build -t segcam .
#   docker run -d --name segcam --init --device /dev/video0 -p 8080:8080 -v segcam:/data segcam
#   docker logs segcam                  # the URL to open, with its token
#   docker exec segcam cat /data/token  # the token again
#
# Any segcam flag goes after the image name (`... segcam --source rtsp://10.0.0.5/stream`), or
# as its environment variable (`-e SEGCAM_SOURCE=demo`). The camera device keeps the host's
# group; where that is not GID 44 (Debian's and Ubuntu's video), add
# `--group-add "$(stat -c %g /dev/video0)"`. Keep the container's port at 8080 (map it with -p):
# the health check asks there (or at SEGCAM_PORT when that is set).

# --- build: the OpenCV binding (compiled against Debian's OpenCV), dist/, production modules --
FROM node:20-bookworm-slim AS build
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends libopencv-dev build-essential python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Without these the binding tries to download and build OpenCV itself; nodedir: node-gyp uses
# the image's Node headers (/usr/local/include/node) instead of downloading them.
RUN OPENCV4NODEJS_DISABLE_AUTOBUILD=1 OPENCV_INCLUDE_DIR=/usr/include/opencv4 OPENCV_LIB_DIR="/usr/lib/$(gcc -print-multiarch)" OPENCV_BIN_DIR=/usr/bin npm_config_nodedir=/usr/local npm ci --no-audit --no-fund
COPY . .
RUN node scripts/build.mjs && npm prune --omit=dev --no-audit --no-fund

# --- run: OpenCV's libraries (those the binding links), v4l2-ctl, CA certificates ------------
FROM node:20-bookworm-slim
ARG DEBIAN_FRONTEND=noninteractive
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libopencv-calib3d406 libopencv-contrib406 libopencv-core406 libopencv-dnn406 \
      libopencv-features2d406 libopencv-flann406 libopencv-highgui406 libopencv-imgcodecs406 \
      libopencv-imgproc406 libopencv-ml406 libopencv-objdetect406 libopencv-photo406 \
      libopencv-video406 libopencv-videoio406 \
      v4l-utils ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# The image's unprivileged "node" user (uid 1000), in the video group for /dev/video*;
# /data belongs to it so that a new named volume does too.
RUN usermod -aG video node && mkdir /data && chown node:node /data
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
USER node
VOLUME /data
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.SEGCAM_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "dist/server/main.js", "--host", "0.0.0.0", "--data-dir", "/data"]
LABEL org.opencontainers.image.title="segcam" \
      org.opencontainers.image.description="Live camera segmentation, tuned from the browser"
