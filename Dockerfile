# syntax=docker/dockerfile:1
# era-ingest image: the CLI and the four stage services (`era-ingest stage <name>`).
# TypeScript runs through tsx (a production dependency), so there is no compile step.
#
#   docker build -t era-ingest:local .
#   docker run --rm era-ingest:local --help

# --- deps: production dependencies only, from the lockfile --------------------------------
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --no-audit --no-fund

# --- runtime -------------------------------------------------------------------------------
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    METRICS_PORT=9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json package-lock.json tsconfig.json ./
COPY bin ./bin
COPY config ./config
COPY src ./src
# `era-ingest` on the PATH (for `docker compose exec … era-ingest`), and a writable data
# directory for embedded mode (`era-ingest run`, PGlite) owned by the unprivileged user.
RUN printf '#!/bin/sh\nexec node /app/bin/era-ingest.js "$@"\n' > /usr/local/bin/era-ingest \
 && chmod 0755 /usr/local/bin/era-ingest \
 && mkdir -p /data \
 && chown node:node /data
# The `node` user (uid 1000) of the base image; the app's files stay root-owned and read-only.
USER node
EXPOSE 9464
ENTRYPOINT ["node", "/app/bin/era-ingest.js"]
CMD ["--help"]
