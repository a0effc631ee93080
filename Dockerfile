# The Tessera stack as a production image (docker-compose.yml runs it against PostgreSQL).
#
#   docker build -t tessera .
#   docker run -p 3000:3000 -e TESSERA_AUTH_SECRET=… -e DATABASE_URL=postgres://… tessera
#
# Stages: `manifests` extracts the lockfile and every package.json, so the dependency layers are
# rebuilt only when those change (a source edit reuses them); `build` installs everything and
# builds Studio's bundle; `prod-deps` installs production dependencies only; the final image is
# Node plus those dependencies, the sources and Studio's bundle, run as the unprivileged `node`
# user with TESSERA_ENV=production (a TESSERA_AUTH_SECRET is required), JSON logs, listening on
# 0.0.0.0, with a HEALTHCHECK on /health/ready. Node 24 runs the TypeScript sources directly.
# CI lints this file (scripts/lint-dockerfile.mjs) and validates docker-compose.yml.

ARG NODE_IMAGE=node:24.21.0-bookworm-slim

FROM ${NODE_IMAGE} AS base
RUN npm install --global pnpm@12.21.0 && npm cache clean --force
WORKDIR /app

# The lockfile, the workspace file and every package.json, at their paths: nothing else.
FROM base AS manifests
COPY . /src
RUN mkdir -p /manifests \
  && cd /src \
  && cp package.json pnpm-lock.yaml pnpm-workspace.yaml /manifests/ \
  && find apps packages tooling -name package.json -not -path "*/node_modules/*" -exec cp --parents {} /manifests/ \;

# Everything, to build Studio's bundle (Vite is a development dependency).
FROM base AS build
COPY --from=manifests /manifests/ ./
RUN pnpm install --frozen-lockfile
COPY . .
RUN pnpm --filter @tessera/studio build

# Production dependencies only.
FROM base AS prod-deps
COPY --from=manifests /manifests/ ./
RUN pnpm install --frozen-lockfile --prod

FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  TESSERA_ENV=production \
  TESSERA_LOG_FORMAT=json \
  HOST=0.0.0.0 \
  PORT=3000 \
  TESSERA_SHUTDOWN_GRACE="20 seconds"
WORKDIR /app
COPY --from=prod-deps --chown=node:node /app/ ./
COPY --chown=node:node . .
COPY --from=build --chown=node:node /app/apps/studio/dist ./apps/studio/dist
# Without DATABASE_URL the embedded PostgreSQL keeps its data here (mount a volume to keep it).
RUN mkdir -p /app/.data && chown node:node /app/.data
USER node
EXPOSE 3000
STOPSIGNAL SIGTERM
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch(`http://127.0.0.1:${process.env.PORT ?? 3000}/health/ready`).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "apps/stack/src/main.ts"]
