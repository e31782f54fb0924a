# syntax=docker/dockerfile:1
# Palaver in a container: `docker build -t palaver .` then
#   docker run -p 8080:8080 -p 1885:1885 -v palaver-data:/var/lib/palaver palaver
# The first start prints the default app's credentials on stdout (`docker logs`).
# See docs/deployment.md#docker.

FROM rust:1-bookworm AS build
WORKDIR /src
# The whole workspace (see .dockerignore): the binary embeds files from outside its crate
# (migrations, palaver.example.toml). The bundled SQLite is compiled with the image's gcc.
COPY . .
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p palaver-server \
    && install -m 0755 target/release/palaver /usr/local/bin/palaver

FROM debian:bookworm-slim
# ca-certificates: webhooks and NATS over TLS; curl: the health check below.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system palaver \
    && useradd --system --gid palaver --home-dir /var/lib/palaver --shell /usr/sbin/nologin palaver \
    && install -d -o palaver -g palaver -m 0700 /var/lib/palaver
COPY --from=build /usr/local/bin/palaver /usr/local/bin/palaver
ENV PALAVER_DATA_DIR=/var/lib/palaver \
    PALAVER_LISTEN=0.0.0.0:8080 \
    PALAVER_MQTT_LISTEN=0.0.0.0:1885 \
    PALAVER_LOG_FORMAT=json
USER palaver
WORKDIR /var/lib/palaver
VOLUME ["/var/lib/palaver"]
# HTTP (both faces' APIs, WebSocket /connect, MQTT over WebSocket /mqtt) and MQTT over TCP.
EXPOSE 8080 1885
# Readiness: the database answers (and the NATS link is up when configured).
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/ready || exit 1
STOPSIGNAL SIGTERM
ENTRYPOINT ["/usr/local/bin/palaver"]
CMD ["serve"]
