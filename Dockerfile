# The Tessera stack on Node 24, for docker-compose.yml (PostgreSQL comes from DATABASE_URL).
FROM node:24.21.0-bookworm-slim
RUN npm install --global pnpm@12.21.0
WORKDIR /app
COPY . .
RUN pnpm install --frozen-lockfile --prod=false
ENV NODE_ENV=production
EXPOSE 3000
USER node
CMD ["node", "apps/stack/src/main.ts"]
