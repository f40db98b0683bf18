# One image for every service; SERVICES selects which one a container runs.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY services ./services
USER node
EXPOSE 8080
CMD ["node", "services/main.ts"]
