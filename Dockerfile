# Multi-stage build: a release binary, run as a non-root user on a minimal base.
#   docker build -t claimgate .
#   docker run --rm -p 8080:8080 -v "$PWD/config.toml:/etc/claimgate/config.toml:ro" \
#     -e CLAIMGATE_PROVIDER_GOOGLE_CLIENT_SECRET=... claimgate
# In the mounted config, `server.listen` must be "0.0.0.0:8080" to be reachable.

FROM rust:1-bookworm AS build
WORKDIR /src
COPY Cargo.toml Cargo.lock ./
COPY src ./src
COPY benches ./benches
COPY examples ./examples
RUN cargo build --release --locked --bin claimgate

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /src/target/release/claimgate /usr/local/bin/claimgate
USER nonroot:nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/claimgate"]
CMD ["serve", "--config", "/etc/claimgate/config.toml"]
