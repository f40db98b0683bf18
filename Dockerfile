# One image for every service and the operator: SERVICES selects which services a container runs
# (`node services/main.ts`); the operator runs `node operator/main.ts`; `node cli/imctl.ts` is imctl.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY services ./services
COPY operator ./operator
# imctl rides along: `kubectl exec` into the admin pod creates the first admin against its database.
COPY cli ./cli
USER node
EXPOSE 8080
CMD ["node", "services/main.ts"]
