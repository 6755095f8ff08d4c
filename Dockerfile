# One image for every Agora service; docker-compose.yml picks the entry point per service.
FROM node:24-bookworm-slim AS base
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN npm install -g pnpm@12.21.0
WORKDIR /app

# Dependencies first, from the manifests only, so code changes do not invalidate this layer.
FROM base AS deps
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json ./
COPY packages/platform/package.json packages/platform/
COPY prisma/package.json prisma/
COPY gateway/package.json gateway/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/offers/package.json subgraphs/offers/
COPY subgraphs/reviews/package.json subgraphs/reviews/
COPY subgraphs/jobs/package.json subgraphs/jobs/
COPY workers/package.json workers/
# Scripts run after the sources are in (the postinstall generates the Prisma client from them).
RUN pnpm install --frozen-lockfile --ignore-scripts

FROM base AS app
COPY --from=deps /app /app
COPY . .
# Offline Prisma client generation (no engine download; see README "Data"), then the compiled
# JavaScript every service runs (`node --conditions=compiled`, no TypeScript at run time).
RUN pnpm db:generate && pnpm build && mkdir -p /data/storage && chown -R node:node /data/storage
ENV NODE_ENV=production STORAGE_DIR=/data/storage
USER node
# Overridden per service in docker-compose.yml
CMD ["node", "--conditions=compiled", "--enable-source-maps", "gateway/dist/index.js"]
