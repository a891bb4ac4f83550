# A small runtime image of motcua: built in a full Rust image, run as a non-root user.
FROM rust:1-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY migrations ./migrations
COPY openapi ./openapi
RUN cargo build --release --locked

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --create-home --home-dir /var/lib/motcua motcua \
    && mkdir -p /var/lib/motcua/data \
    && chown motcua /var/lib/motcua/data
COPY --from=build /src/target/release/motcua /usr/local/bin/motcua
USER motcua
WORKDIR /var/lib/motcua
ENV MOTCUA_BIND=0.0.0.0:8080 \
    MOTCUA_DATA_DIR=/var/lib/motcua/data
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s \
    CMD curl -fsS http://127.0.0.1:8080/ready || exit 1
CMD ["motcua", "serve"]
