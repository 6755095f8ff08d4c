# One image for every Agora service; docker-compose.yml picks the entry point per service.
FROM node:20-bookworm-slim AS base
ENV PNPM_HOME=/pnpm PATH=/pnpm:$PATH CI=true
RUN npm install -g pnpm@10.34.9
WORKDIR /app

FROM base AS deps
COPY pnpm-lock.yaml pnpm-workspace.yaml package.json .npmrc ./
COPY packages/platform/package.json packages/platform/
COPY prisma/package.json prisma/
COPY gateway/package.json gateway/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/offers/package.json subgraphs/offers/
COPY subgraphs/reviews/package.json subgraphs/reviews/
COPY subgraphs/jobs/package.json subgraphs/jobs/
COPY workers/package.json workers/
COPY prisma/schema prisma/schema
COPY prisma/generate.ts prisma.config.ts ./
RUN mkdir -p prisma && mv generate.ts prisma/ && pnpm install --frozen-lockfile --ignore-scripts

FROM base AS app
COPY --from=deps /app /app
COPY . .
RUN pnpm db:generate
ENV NODE_ENV=production
USER node
# Overridden per service in docker-compose.yml
CMD ["node", "--import", "tsx", "gateway/src/index.ts"]
