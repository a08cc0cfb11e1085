# reap @VERSION@: the release files as images that hold only /lib/reap.so, one stage per C library,
# for COPY --from= in an application's Dockerfile. `make dist` writes this file into dist/, next to
# the files it copies (its source is docs/dist.Dockerfile). Build it with BuildKit (docker build
# since Docker 23, docker buildx, podman), which sets TARGETARCH from --platform:
#
#   docker buildx build dist/ --target glibc --platform linux/amd64,linux/arm64 -t REGISTRY/reap:@VERSION@-glibc --push
#   docker buildx build dist/ --target musl  --platform linux/amd64,linux/arm64 -t REGISTRY/reap:@VERSION@-musl  --push
#
# and in the application's Dockerfile (the platform of the build picks the matching file):
#
#   COPY --from=REGISTRY/reap:@VERSION@-musl /lib/reap.so /lib/reap.so
#   ENV LD_PRELOAD=/lib/reap.so
#
# docs/deploy.md has whole examples; `/lib/reap.so --check PROGRAM` in the application image says
# whether the library reaches its program.
ARG TARGETARCH

FROM scratch AS glibc-amd64
COPY --chmod=0755 reap-@VERSION@-x86_64-linux-gnu.so /lib/reap.so

FROM scratch AS glibc-arm64
COPY --chmod=0755 reap-@VERSION@-aarch64-linux-gnu.so /lib/reap.so

FROM scratch AS musl-amd64
COPY --chmod=0755 reap-@VERSION@-x86_64-linux-musl.so /lib/reap.so

FROM scratch AS musl-arm64
COPY --chmod=0755 reap-@VERSION@-aarch64-linux-musl.so /lib/reap.so

# For Debian, Ubuntu, RHEL/UBI, Amazon Linux, distroless/base and other glibc images.
FROM glibc-${TARGETARCH} AS glibc

# For Alpine and other musl images.
FROM musl-${TARGETARCH} AS musl
