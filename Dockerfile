# gatecode sync server image. Multi-stage: dependencies (with the native better-sqlite3 build) are installed in a
# builder with compilers; the runtime stage gets only node_modules and the sources the server needs, runs as the
# unprivileged `node` user, keeps all state in the /data volume and reports health from /healthz.
#   docker build -t gatecode-server .
#   docker run -p 8470:8470 -v gatecode-data:/data gatecode-server
#   docker exec <container> cat /data/admin.token

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# Toolchain only for the case where no prebuilt better-sqlite3 binary matches this platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Optional dependencies stay: esbuild's platform binary (which tsx needs to load the TypeScript sources) is one.
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY bin ./bin
COPY cli ./cli
COPY common ./common
COPY protocol ./protocol
COPY sync-server ./sync-server
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8470
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8470/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node runs as PID 1 and handles SIGTERM itself (the server stops accepting, finishes requests, closes SQLite).
ENTRYPOINT ["node", "bin/gatecode.js", "server"]
CMD ["--data", "/data", "--host", "0.0.0.0", "--port", "8470"]
