# syntax=docker/dockerfile:1
# patchctl worker image. Debian (glibc), not Alpine: the Temporal SDK's native core bridge ships
# glibc builds, and the workflow bundle is prebuilt here so a worker starts without webpack.

ARG NODE_IMAGE=node:20.20.2-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first, so source edits reuse the dependency layer.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# tsc into dist/, then the prebuilt workflow bundle (dist/workflow-bundle.js).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*
# Heap at about 80 % of the 1 GiB container limit (compose `deploy.resources.limits.memory`); the
# rest is the core bridge's native memory and buffers. Change both together.
ENV NODE_ENV=production \
    NODE_OPTIONS=--max-old-space-size=800
WORKDIR /app
# Owned by root and read-only to the process: the worker has no reason to write its own code.
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# tsc does not copy the SQL migrations; the store reads them from the source path at runtime.
COPY --from=build /app/activities/store/migrations ./activities/store/migrations
# The fallback policy when PATCHCTL_CONFIG names nothing (compose mounts the real patchctl.yaml).
COPY --from=build /app/patchctl.example.yaml ./
USER node
CMD ["node", "dist/client/main.js", "worker"]
