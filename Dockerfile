# Build a static binary, then ship it alone (plus CA certificates) on an
# empty image, running as an unprivileged user.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/bridge ./cmd/bridge \
 && mkdir -p /out/data && echo 'bridge:x:65532:65532::/app:/sbin/nologin' > /out/passwd

FROM scratch
COPY --from=build /etc/ssl/certs/ca-certificates.crt /etc/ssl/certs/
COPY --from=build /out/passwd /etc/passwd
COPY --from=build --chown=65532:65532 /out/data /data
COPY --from=build /out/bridge /usr/local/bin/bridge
COPY examples/policy.yaml examples/people.csv /app/examples/
WORKDIR /app
ENV BRIDGE_ADDR=0.0.0.0:8080 BRIDGE_DATA_DIR=/data
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bridge"]
CMD ["serve"]
