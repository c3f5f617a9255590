# The manager image for those who build with Docker: a static Go binary on distroless, running as
# a non-root user. The reference build is `make image` (ko, no Docker engine: see .ko.yaml and
# hack/image.sh), which `make test-image` checks; this file promises the same image: /manager as
# the entrypoint, user 65532:65532, no shell, the same OCI labels, built with the same flags.
# Amber's development machines have no Docker engine; build it where one runs:
#   make docker-build IMG=…   (passes VERSION and REVISION from git)
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
ARG VERSION=(devel)

WORKDIR /workspace
# Dependencies first, so that a change to the sources does not download them again.
COPY go.mod go.sum ./
RUN go mod download

COPY cmd/ cmd/
COPY api/ api/
COPY controllers/ controllers/
COPY internal/ internal/

RUN CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH} \
    go build -trimpath -ldflags="-s -w -X main.version=${VERSION}" -o manager ./cmd

FROM gcr.io/distroless/static:nonroot
ARG VERSION=(devel)
ARG REVISION=unknown
LABEL org.opencontainers.image.source="https://github.com/amber-gdpr/amber" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.title="amber" \
      org.opencontainers.image.description="Amber keeps GDPR workloads pinned and audited on Kubernetes"
WORKDIR /
COPY --from=builder /workspace/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
