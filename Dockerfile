# syntax=docker/dockerfile:1
# The GoodGo wallet service. Two stages: the build stage compiles the monorepo and packs the four
# packages exactly as they would be published; the runtime stage installs those tarballs with
# production dependencies only, so the image runs what a registry user would install.

FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && mkdir /packs \
 && npm pack --pack-destination /packs -w @goodgo/wallet-core -w @goodgo/wallet-pg -w @goodgo/wallet-relay -w @goodgo/wallet-server

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    WALLET_DATA_DIR=/data
WORKDIR /app
COPY --from=build /packs /tmp/packs
# The service's own directory: the installed tarballs (read-only for the service user) and the
# PGlite data directory, used only when no DATABASE_URL is given.
RUN echo '{"name":"goodgo-wallet-image","private":true,"type":"module"}' > package.json \
 && npm install --omit=dev --no-audit --no-fund /tmp/packs/*.tgz \
 && rm -rf /tmp/packs \
 && npm cache clean --force \
 && mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Liveness only: readiness (/health/ready) is the orchestrator's and Traefik's business.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# node itself is PID 1 (exec form, no shell): it receives SIGTERM, drains in-flight requests,
# closes the pool and exits within SHUTDOWN_TIMEOUT_MS.
CMD ["node", "--max-semi-space-size=32", "node_modules/@goodgo/wallet-server/dist/main.js"]
