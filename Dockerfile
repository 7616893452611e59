# Lookout's container image (README "Running in a container"; deploy/docker-compose.yml).
#
#   docker build -t lookout .
#   docker run -d --name lookout --group-add "$(stat -c %g /var/run/docker.sock)" \
#     -v /var/run/docker.sock:/var/run/docker.sock:ro -v /:/host:ro \
#     -v lookout-data:/var/lib/lookout -e LOOKOUT_SLACK_WEBHOOK_URL=… lookout
#
# Build arguments:
#   NODE_IMAGE  the Node 20 base of both stages (glibc, with /usr/bin/env from coreutils >= 8.30,
#               since bin/lookout.cjs starts with `#!/usr/bin/env -S node …`, and a POSIX sh).
#   PREBUILT=1  build without the network: take dist/ and node_modules/ from the build context instead of
#               `npm ci` + `npm run build` (a context holding package.json, package-lock.json, bin/, dist/
#               and an installed node_modules/ for the same Node and libc; the repository's .dockerignore
#               leaves those two out, so this is for a context made for it, as test/integration/image.suite.ts does).
# Works with BuildKit and with the classic builder (no RUN --mount, COPY --chmod or --link).

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
ARG PREBUILT=0
WORKDIR /app
# The dependencies first, in a layer of their own that a change to src/ does not invalidate. --ignore-scripts: the
# root package's `prepare` would build before src/ is here; better-sqlite3's install script (a prebuilt binary, else
# node-gyp) is run by the rebuild. The slim image has no compiler: one is installed only when no prebuilt binary
# can be downloaded (it stays in this stage).
COPY package.json package-lock.json ./
RUN if [ "$PREBUILT" != 1 ]; then \
      npm ci --ignore-scripts --no-audit --no-fund \
      && { npm rebuild better-sqlite3 \
           || { apt-get update && apt-get install -y --no-install-recommends python3 make g++ && npm rebuild better-sqlite3; }; }; \
    fi
COPY . .
# Then the build, and the dev dependencies (typescript, rolldown, biome, vitest…) pruned (--offline: everything it
# keeps is installed already, so it never asks the registry). Of better-sqlite3 only the
# addon is kept: its SQLite sources and the compiler's intermediate files are about 25 MB the agent never reads.
RUN if [ "$PREBUILT" != 1 ]; then \
      npm run build; \
    elif [ ! -f dist/cli/main.cjs ] || [ ! -f node_modules/better-sqlite3/build/Release/better_sqlite3.node ]; then \
      echo "PREBUILT=1: the build context has no dist/cli/main.cjs or no installed node_modules/better-sqlite3 (run npm ci and npm run build in it first)" >&2; \
      exit 1; \
    fi \
    && npm prune --omit=dev --ignore-scripts --no-audit --no-fund --offline \
    && cd node_modules/better-sqlite3 \
    && mv build/Release/better_sqlite3.node /tmp/ \
    && rm -rf build deps src \
    && mkdir -p build/Release \
    && mv /tmp/better_sqlite3.node build/Release/

FROM ${NODE_IMAGE}
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/bin ./bin
COPY --from=build /app/dist ./dist
COPY --from=build /app/node_modules ./node_modules
# A user of its own. No docker group is made here: the socket's group id differs from host to host, so it is given
# at run time (`--group-add "$(stat -c %g /var/run/docker.sock)"`, compose's `group_add`). The user is written into
# /etc/passwd directly (no useradd), so that this needs only a POSIX sh. `lookout` on the PATH for `docker exec`.
RUN echo 'lookout:x:10001:10001:Lookout:/var/lib/lookout:/usr/sbin/nologin' >> /etc/passwd \
    && echo 'lookout:x:10001:' >> /etc/group \
    && mkdir -p /var/lib/lookout /etc/lookout \
    && chown 10001:10001 /var/lib/lookout \
    && chmod 700 /var/lib/lookout \
    && ln -s /app/bin/lookout.cjs /usr/local/bin/lookout
# The host's / is expected at /host (-v /:/host:ro): /proc, /sys, mounts, statfs, /etc/hostname and the
# containers' cgroup files are read there. The config, if any, at /etc/lookout/lookout.yaml (mounted).
# The HTTP server (dashboard, API, /healthz) listens on the container's loopback: the health check reaches it, nothing
# else does, and the agent needs no token. To publish it, set LOOKOUT_HTTP_LISTEN=0.0.0.0:9817 AND a token
# (http.auth_token_file in the config): the agent refuses a reachable address without one (exit code 2).
ENV NODE_ENV=production \
    LOOKOUT_HOST_ROOT=/host \
    LOOKOUT_DATA_DIR=/var/lib/lookout \
    LOOKOUT_HTTP_LISTEN=127.0.0.1:9817
USER 10001:10001
VOLUME ["/var/lib/lookout"]
EXPOSE 9817
# /healthz answers 503 once no check has completed for 2 × interval + 60 s. Node rather than curl (the slim image has
# none); the port is LOOKOUT_HTTP_LISTEN's. With http.enabled: false, use
# `--health-cmd 'lookout status >/dev/null'` (the data directory is usable) or `--no-healthcheck`.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const l=process.env.LOOKOUT_HTTP_LISTEN||'127.0.0.1:9817';require('node:http').get({host:'127.0.0.1',port:+l.slice(l.lastIndexOf(':')+1),path:'/healthz',timeout:4000},r=>process.exit(r.statusCode===200?0:1)).on('error',()=>process.exit(1)).on('timeout',()=>process.exit(1))"]
# The installed command, so that its first line's Node flags apply; node is PID 1 and handles SIGTERM itself
# (queued notifications get 3 s, state is saved), and starts no child processes to reap.
ENTRYPOINT ["/app/bin/lookout.cjs"]
CMD ["run"]
