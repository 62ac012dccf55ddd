# syntax=docker/dockerfile:1
# The GoodGo wallet service on Node 22 (LTS), built reproducibly: every third-party package is the
# version package-lock.json pins, installed by `npm ci`, never whatever the registry has that day.
# Two stages: the build stage installs from the lock file, compiles, and prunes the development
# dependencies (from the same lock file); the runtime stage copies that tree and runs as `node`.

FROM node:22-bookworm-slim AS build
WORKDIR /app
COPY . .
RUN npm ci --no-audit --no-fund \
 && npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && rm -rf packages/*/src packages/*/test

FROM node:22-bookworm-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000 \
    HOST=0.0.0.0 \
    WALLET_DATA_DIR=/data \
    PATH=/app/node_modules/.bin:$PATH
WORKDIR /app
# The installed tree, read-only for the service user, and the PGlite data directory (used only
# with WALLET_ALLOW_EMBEDDED=true and no DATABASE_URL).
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/packages ./packages
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 3000
# Liveness only: readiness (/health/ready) is the orchestrator's and Traefik's business.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/live').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
STOPSIGNAL SIGTERM
# The commands besides the server are on the PATH:
#   docker run --rm -e DATABASE_URL=… goodgo/wallet-server goodgo-wallet-reconcile
#   docker run --rm -e JWT_SECRET=… goodgo/wallet-server goodgo-wallet-token --sub alice
# node itself is PID 1 (exec form, no shell): it receives SIGTERM, drains in-flight requests,
# closes the pool and exits within SHUTDOWN_TIMEOUT_MS.
CMD ["node", "--max-semi-space-size=32", "packages/wallet-server/dist/main.js"]
