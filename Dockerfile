# pulsedns image: `docker build -t pulsedns .`
FROM node:20-slim
WORKDIR /app
COPY package.json package-lock.json tsconfig.json ./
COPY server ./server
COPY checks ./checks
COPY test ./test
COPY bench ./bench
RUN npm ci --no-audit --no-fund && npm prune --omit=dev
COPY zones ./zones
ENTRYPOINT ["node", "dist/server/cli.js"]
CMD ["serve", "--zones", "/app/zones", "--listen", "0.0.0.0:53"]
