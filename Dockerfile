# Pincer in a container: built from this source tree, run as an unprivileged user with its data
# in a volume. Build: `docker build -t pincer .`; run: see compose.yaml and docs/OPERATIONS.md.

# --- build: the release artefact profile (thin LTO), exactly the locked dependencies ---
FROM rust:1.95-bookworm AS build
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
# A source tree in a container has no .git: the commit comes from the build argument.
ARG PINCER_BUILD_COMMIT=unknown
ENV PINCER_BUILD_COMMIT=${PINCER_BUILD_COMMIT}
RUN cargo build --profile dist --locked -p pincer-server --bin pincer \
    && install -m 0755 target/dist/pincer /usr/local/bin/pincer

# --- run: a small Debian with the PostgreSQL client library and CA certificates ---
FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates libpq5 \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system --gid 10001 pincer \
    && useradd --system --uid 10001 --gid pincer --home-dir /var/lib/pincer --shell /usr/sbin/nologin pincer \
    && install -d -o pincer -g pincer -m 0700 /var/lib/pincer \
    && install -d -o pincer -g pincer -m 0750 /srv/pincer-documents
COPY --from=build /usr/local/bin/pincer /usr/local/bin/pincer
USER pincer:pincer
# In a container the server listens on every interface of its own network namespace; publish
# the port to 127.0.0.1 and put a TLS proxy in front (set PINCER_PUBLIC_URL and
# PINCER_TRUSTED_PROXIES), or the security self-audit reports the open plain-HTTP address.
ENV PINCER_DATA_DIR=/var/lib/pincer \
    PINCER_DOCUMENTS_DIR=/srv/pincer-documents \
    PINCER_BIND=0.0.0.0:7777 \
    PINCER_LOG_FORMAT=json
VOLUME ["/var/lib/pincer"]
EXPOSE 7777
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 CMD ["pincer", "healthcheck"]
STOPSIGNAL SIGTERM
ENTRYPOINT ["pincer"]
CMD ["serve"]
