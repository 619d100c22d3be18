# syntax=docker/dockerfile:1
# Production image: give it DATABASE_URL (the embedded database is for laptops).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: they only unpack the embedded PostgreSQL, which a container does not use.
RUN npm ci --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
# Production refuses to start without a signing key of its own: pass AUTH_SECRET (or
# AUTH_SECRETS / AUTH_KEYS_FILE / AUTH_JWKS_URL) and SECRETS_KEY at run time. /metrics is
# served on a port of its own (9464, not published by EXPOSE) instead of on the public one.
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 METRICS_PORT=9464
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY src ./src
COPY migrations ./migrations
USER node
EXPOSE 3000
HEALTHCHECK --interval=10s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+process.env.PORT+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# The server migrates first (under an advisory lock, so replicas may start
# together), then serves. Node is PID 1 and drains on SIGTERM. The young generation is
# capped as in `npm start` (see the README's Performance section).
CMD ["node", "--max-semi-space-size=8", "--max-old-space-size=256", "src/server.ts"]
