# syntax=docker/dockerfile:1
# The Conveyor operator image, for users with Docker:
#
#   docker build -t conveyor:dev .
#   docker run --rm conveyor:dev --help
#
# `npm run image` (hack/image.sh) builds the same layout without a daemon, reproducibly, on a
# Debian base with no shell (docs/image.md). Both take the app from hack/image/stage-app.ts, and a
# unit test holds this file to hack/image/layout.ts: node at /usr/local/bin/node, the app in /app
# (the operator bundle dist/main.js, the CLI bin/conveyor.js with its bundle, the Console's files,
# schema/ and crds/; no node_modules: the esbuild bundles hold what they load), uid 1000.
# The runtime writes nothing outside /tmp, so it works with readOnlyRootFilesystem (the Helm chart
# mounts an emptyDir at /tmp).
# Pin the base by digest for reproducible builds: --build-arg NODE_IMAGE=node:24-alpine@sha256:...
ARG NODE_IMAGE=node:24-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /build
COPY package.json package-lock.json ./
# --ignore-scripts: no install scripts run. The only one in the tree is the `node` devDependency's,
# which downloads a second (glibc) Node binary for local development; the image's Node 24 is the
# one to use, so its unpopulated shim is removed from node_modules/.bin.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && rm -f node_modules/.bin/node
COPY tsconfig.json ./
COPY hack/build-console.ts ./hack/build-console.ts
COPY hack/image ./hack/image
COPY src ./src
COPY crds ./crds
COPY bin ./bin
COPY schema ./schema
# The operator and the CLI bundled by esbuild, the Console's UI built, and everything /app holds
# written to /build/app (hack/image/stage-app.ts).
RUN node hack/image/stage-app.ts /build/app

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
# glibc keeps memory freed after the start-up lists in per-thread arenas: measured idle with 2,000
# Pipelines and 10,000 Jobs cached, 191–214 MiB RSS with the default arenas, 168 MiB with 2
# (bench/README.md). For a glibc NODE_IMAGE (node:24-slim); musl (alpine) ignores it.
ENV MALLOC_ARENA_MAX=2
WORKDIR /app
# The package managers are not needed at run time: less to patch, less to exploit.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-*
# Owned by root and read-only for the operator's user.
COPY --from=build /build/app /app
# Numeric, so Kubernetes can verify runAsNonRoot: uid/gid 1000 is `node` in the Node images.
USER 1000:1000
EXPOSE 8081
ENTRYPOINT ["/usr/local/bin/node", "/app/dist/main.js"]
