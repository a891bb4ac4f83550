# motcua in a small runtime image: built in the full Rust image, run on debian:bookworm-slim as a
# non-root user. `docker build -t motcua .`, then `docker run -p 127.0.0.1:8080:8080 motcua`
# (SQLite in the /var/lib/motcua/data volume), or see docker-compose.yml for PostgreSQL and two
# replicas behind nginx.

# --- build -----------------------------------------------------------------------------------
FROM rust:1-bookworm AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
# libpq for diesel's PostgreSQL backend; SQLite is compiled in (libsqlite3-sys, bundled).
# Debian packages are not pinned (DL3008): a stable release keeps one version of each, and an
# old security update vanishes from the mirrors, so a pin would only break the build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src

# The dependencies first, on an empty crate of the same shape (a library and a binary), so that
# this layer is rebuilt only when Cargo.toml or Cargo.lock change, not on every source edit.
COPY Cargo.toml Cargo.lock ./
RUN mkdir src \
    && echo 'fn main() {}' > src/main.rs \
    && touch src/lib.rs \
    && cargo build --release --locked \
    && rm -rf src

# Then the crate itself. The migrations are embedded at compile time (embed_migrations!).
# `touch` makes the real sources newer than the empty crate's build, whatever the times COPY
# gives them, so cargo cannot mistake the empty binary for an up-to-date one.
COPY src ./src
COPY migrations ./migrations
RUN touch src/main.rs src/lib.rs \
    && cargo build --release --locked \
    && ./target/release/motcua --version | grep -q '^motcua '

# --- runtime ---------------------------------------------------------------------------------
FROM debian:bookworm-slim
# libpq5 for PostgreSQL, ca-certificates for an S3 bucket over https. Nothing else: the health
# check below uses bash (already in the image) rather than curl or wget.
# A fixed numeric user, so that volume ownership stays stable across rebuilds and orchestrators
# that require a numeric non-root user (Kubernetes' runAsNonRoot) accept it.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 motcua \
    && useradd --system --uid 10001 --gid motcua --home-dir /var/lib/motcua --shell /usr/sbin/nologin motcua \
    && mkdir -p /var/lib/motcua/data \
    && chown -R motcua:motcua /var/lib/motcua
COPY --from=build /src/target/release/motcua /usr/local/bin/motcua

# The data folder: the SQLite file (when DATABASE_URL is not PostgreSQL), uploaded files
# (files/, unless MOTCUA_S3_BUCKET is set) and the generated token secret (when
# MOTCUA_JWT_SECRET is not set). Its ownership above is what a new named volume starts with.
VOLUME ["/var/lib/motcua/data"]
WORKDIR /var/lib/motcua
ENV MOTCUA_BIND=0.0.0.0:8080 \
    MOTCUA_DATA_DIR=/var/lib/motcua/data
USER 10001:10001
EXPOSE 8080

# Liveness: GET /health over bash's /dev/tcp (no HTTP client in the image), on the port of
# MOTCUA_BIND. /ready (database reachable, schema migrated) is for load balancers and
# orchestrators' readiness checks; a database outage should not mark every replica dead.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["bash", "-c", "exec 3<>\"/dev/tcp/127.0.0.1/${MOTCUA_BIND##*:}\" && printf 'GET /health HTTP/1.1\\r\\nHost: localhost\\r\\nConnection: close\\r\\n\\r\\n' >&3 && read -r -t 2 _ status _ <&3 && [ \"$status\" = 200 ]"]

ENTRYPOINT ["motcua"]
CMD ["serve"]
