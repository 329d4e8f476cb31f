# sipdispatch container image: build with the dev toolchain, run with production dependencies only.
#   docker build -t sipdispatch .
#   docker run -d --name sipdispatch --network host \
#     -v /etc/sipdispatch:/etc/sipdispatch:ro sipdispatch
# See docs/docker.md (why host networking, the admin API address, its token).

FROM node:22-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build && npm prune --omit=dev

FROM node:22-slim
ENV NODE_ENV=production
WORKDIR /app
# package.json stays: its "type": "module" makes Node load dist/ as ES modules
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# dispatcher.list (and an optional sipdispatch.yaml, via SIPDISPATCH_CONFIG) live here, readable by uid 1000
VOLUME /etc/sipdispatch
# SIP on 5060 (UDP and TCP), TLS 5061, WebSocket 5066, WSS 7443 (when listened on: SIPDISPATCH_LISTEN
# and a certificate in sipdispatch.yaml, docs/webrtc-tls.md); admin API (health, metrics, reload, RPC) on 9060.
EXPOSE 5060/udp 5060/tcp 5061/tcp 5066/tcp 7443/tcp 9060/tcp
USER node
# The admin API stays on loopback unless told otherwise: inside a bridge-networked container set
# --http 0.0.0.0:9060 (or SIPDISPATCH_HTTP) together with SIPDISPATCH_ADMIN_TOKEN.
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "dist/cli/healthcheck.js"]
# The program handles SIGTERM itself: it stops taking new calls and drains for drain_timeout
# (32 s by default), so give `docker stop` longer than that (docker stop -t 40, stop_grace_period).
STOPSIGNAL SIGTERM
# Node flags: the same as the CLI's shebang (short GC pauses, see src/cli/cli.ts).
CMD ["node", "--max-semi-space-size=4", "dist/cli/cli.js", "--list", "/etc/sipdispatch/dispatcher.list"]
