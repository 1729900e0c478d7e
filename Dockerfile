# syntax=docker/dockerfile:1
# The Conveyor operator image.
#
#   docker build -t conveyor:dev .
#   docker run --rm conveyor:dev --help
#
# Two stages on the same Node 24 base: `build` compiles TypeScript with the full dependency tree,
# the runtime stage gets only what the operator runs: production dependencies, dist/ and crds/.
# The runtime runs as uid 1000 (the image's `node` user) and writes nothing outside /tmp, so it
# works with readOnlyRootFilesystem (the Helm chart mounts an emptyDir at /tmp).
# Pin the base by digest for reproducible builds: --build-arg NODE_IMAGE=node:24-alpine@sha256:...
ARG NODE_IMAGE=node:24-alpine

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no install scripts run. The only one in the tree is the `node` devDependency's,
# which downloads a second (glibc) Node binary for local development; the image's Node 24 is the
# one to use, so its unpopulated shim is removed from node_modules/.bin.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && rm -f node_modules/.bin/node
COPY tsconfig.json ./
# npm run build also bundles the Console's web UI (served by `conveyor dashboard` and the chart's
# in-cluster Console) into dist/console with esbuild.
COPY hack/build-console.ts ./hack/build-console.ts
COPY src ./src
COPY crds ./crds
# The CLI entry (the chart's in-cluster Console runs `conveyor dashboard --in-cluster`) and the
# Pipeline JSON Schema the Console serves to its builder.
COPY bin ./bin
COPY schema ./schema
# The operator's entry point, dist/main.js, is then bundled into one file with the parts of its
# dependencies it uses (esbuild, whitespace and syntax minified, names kept as written). Loading
# @kubernetes/client-node as ~5,000 separate modules cost the process ~45 MiB of RSS and 20 MiB
# of JS heap more, and twice the start-up time (bench/README.md, "What moved the numbers").
# bench/lib.ts bundles the benchmarked operator with the same flags.
RUN npm run build \
 && npx esbuild dist/main.js --bundle --platform=node --format=esm --minify-whitespace --minify-syntax \
      --banner:js="import { createRequire as __conveyorRequire } from 'node:module'; const require = __conveyorRequire(import.meta.url);" \
      --outfile=dist/main.js --allow-overwrite --log-level=warning \
 && npm prune --omit=dev --ignore-scripts --no-audit --no-fund

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
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/crds ./crds
COPY --from=build /app/bin ./bin
COPY --from=build /app/schema ./schema
# Numeric, so Kubernetes can verify runAsNonRoot: uid/gid 1000 is `node` in the Node images.
USER 1000:1000
EXPOSE 8081
ENTRYPOINT ["node", "dist/main.js"]
