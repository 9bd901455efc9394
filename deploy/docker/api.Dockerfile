# syntax=docker/dockerfile:1
# The Compliance API. Build from the repository root:
#   docker build -f deploy/docker/api.Dockerfile -t compliance-api .
# The image holds the self-contained directory scripts/package-api.mjs makes (the tests
# build the same directory and start it), runs as an unprivileged user, writes only to
# its data volume, and suits a read-only root file system.
ARG NODE_IMAGE=node:24-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
COPY packages/contract/package.json packages/contract/
COPY packages/agent/package.json packages/agent/
COPY packages/api/package.json packages/api/
COPY packages/console/package.json packages/console/
COPY packages/cloud/package.json packages/cloud/
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN node scripts/build.mjs && node scripts/package-api.mjs --out /opt/compliance-api

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    COMPLIANCE_DATA_DIR=/var/lib/compliance-api \
    COMPLIANCE_LOCAL_AGENT=0
COPY --from=build /opt/compliance-api /opt/compliance-api
RUN mkdir -p /var/lib/compliance-api && chown 10001:10001 /var/lib/compliance-api
USER 10001:10001
WORKDIR /opt/compliance-api
VOLUME ["/var/lib/compliance-api"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
ENTRYPOINT ["node", "/opt/compliance-api/compliance-api.js"]
CMD ["start"]
