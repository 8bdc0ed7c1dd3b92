# syntax=docker/dockerfile:1
# Build stage: install exactly the locked production dependencies (tsx runs the TypeScript sources).
FROM node:22-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

FROM node:22-slim
ENV NODE_ENV=production PORT=3000 HOST=0.0.0.0 DATA_DIR=/app/data
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY package.json tsconfig.json ./
COPY src ./src
COPY migrations ./migrations
# npm run audit:verify and npm run token work in the image too: verifying the audit chain is an operator's task.
COPY scripts ./scripts
RUN mkdir -p /app/data && chown -R node:node /app/data
USER node
EXPOSE 3000
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# A larger young generation: a batch of 1,000 certificates allocates tens of MB that die young (see README).
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "src/server.ts"]
