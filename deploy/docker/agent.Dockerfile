# syntax=docker/dockerfile:1
# The Compliance agent as a container, for hosts that run containers only. Build from the
# repository root:
#   docker build -f deploy/docker/agent.Dockerfile -t compliance-agent .
# It reports the host when run with the host's PID namespace and network, and the host's
# machine-id and utmp mounted read-only (compose.yaml's agent profile does this):
#   docker run --pid=host --network=host -v /etc/machine-id:/etc/machine-id:ro \
#     -v /run/utmp:/run/utmp:ro -v agent-state:/var/lib/compliance-agent \
#     -e COMPLIANCE_SERVER_URL=https://compliance.example.com \
#     -e COMPLIANCE_ENROLL_SECRET=... compliance-agent
# The program is the single executable scripts/package-agent.mjs makes (tested without
# Node on PATH), so the final image needs no Node.js.
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
RUN node scripts/package-agent.mjs --formats sea --out /out && \
    cp /out/compliance-agent-*-linux-* /out/compliance-agent

FROM debian:bookworm-slim
COPY --from=build /out/compliance-agent /usr/local/bin/compliance-agent
RUN mkdir -p /var/lib/compliance-agent && chown 10002:10002 /var/lib/compliance-agent
ENV STATE_DIRECTORY=/var/lib/compliance-agent
USER 10002:10002
VOLUME ["/var/lib/compliance-agent"]
# Healthy once enrolled: the node key the first check-in saves.
HEALTHCHECK --interval=60s --timeout=5s --start-period=120s --retries=3 \
  CMD ["test", "-s", "/var/lib/compliance-agent/node-key"]
ENTRYPOINT ["/usr/local/bin/compliance-agent"]
CMD ["run"]
