# syntax=docker/dockerfile:1
# One image for every service and the operator: SERVICES selects which services a container runs
# (`node services/main.ts`); the operator runs `node operator/main.ts`; `node cli/imctl.ts` is imctl.
# test/image/dockerfile.test.ts runs this file's install step and CMD from a clean copy (no Docker needed).
#
# The Node version is the one the project is tested with (scripts/node24). A registry mirror or a
# digest-pinned base can be named with --build-arg NODE_IMAGE=….
ARG NODE_IMAGE=node:24.21.0-slim

# The web client, built in a stage of its own: Vite and Vue are development dependencies, and the
# image ships only what they build (web/dist), which the gateways serve at / (WEB_CLIENT).
FROM ${NODE_IMAGE} AS web
WORKDIR /build
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --no-audit --no-fund
COPY web ./web
COPY scripts/build-web.mjs ./scripts/
RUN node scripts/build-web.mjs

FROM ${NODE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
# ffmpeg/ffprobe give the file service video durations, dimensions and cover frames (without them a
# video is still accepted, with no cover). Debian's package; the lists are not kept in the image.
RUN apt-get update \
  && apt-get install -y --no-install-recommends ffmpeg \
  && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# The npm cache lives in a BuildKit cache mount: reused across builds, never part of the image.
RUN --mount=type=cache,target=/root/.npm,sharing=locked npm ci --omit=dev --no-audit --no-fund
COPY common ./common
COPY services ./services
COPY operator ./operator
# imctl rides along: `kubectl exec` into the admin pod creates the first admin against its database.
COPY cli ./cli
COPY --from=web /build/web/dist ./web/dist
# Without DATABASE_URL a container runs embedded, its PGlite data in /app/.data: the one directory the
# unprivileged user may write (mount a volume there to keep it). The code itself stays read-only to it.
RUN mkdir .data && chown node:node .data
# The official image's `node` user, by number: Kubernetes' runAsNonRoot can only verify a numeric user.
USER 1000:1000
# 8080: the API and WebSocket; 9464: /metrics when METRICS_PORT=9464 (what the operator sets).
EXPOSE 8080 9464
CMD ["node", "services/main.ts"]
