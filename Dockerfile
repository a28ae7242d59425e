# pulsedns image: `docker build -t pulsedns .`
#
# Two stages: the first compiles TypeScript with the dev dependencies, the
# second holds only what runs (dist/, production node_modules, sample zones),
# as a non-root user. git is inside because `--zones-git` and git-derived
# `serial: auto` need it.
FROM node:20-slim AS build
# A C compiler for the batched-UDP addon (server/transport/native/); the image
# that runs keeps only the compiled .node file.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gcc libc6-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json tsconfig.json ./
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY server ./server
COPY checks ./checks
COPY scripts/build-native.mjs ./scripts/
RUN npx tsc -p tsconfig.build.json && PULSEDNS_REQUIRE_TOOLS=1 node scripts/build-native.mjs && npm prune --omit=dev

FROM node:20-slim
# libcap2-bin only to grant node the one capability it needs, then removed.
RUN apt-get update \
 && apt-get install -y --no-install-recommends git ca-certificates libcap2-bin \
 && setcap cap_net_bind_service=+ep "$(readlink -f "$(command -v node)")" \
 && apt-get purge -y libcap2-bin && apt-get autoremove -y && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY zones ./zones
# Port 53 without root: the node binary carries CAP_NET_BIND_SERVICE.
USER node
EXPOSE 53/udp 53/tcp 9153/tcp
# The admin endpoint listens on loopback inside the container unless told
# otherwise (`--admin 0.0.0.0:9153` with a token; see docs/operations.md), so
# the health check runs inside the container too.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:9153/readyz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# The server is PID 1's only child (node itself), so SIGTERM from `docker stop`
# reaches it directly; never start it through npm, which does not forward signals.
ENTRYPOINT ["node", "dist/server/cli.js"]
CMD ["serve", "--zones", "/app/zones", "--listen", "0.0.0.0:53", "--listen", "[::]:53"]
