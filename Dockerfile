# The image of the vercel-image-invalidate container action.
#
#   builder  one static musl binary (rust:*-alpine targets musl natively, so the
#            same file builds linux/amd64 and linux/arm64)
#   git      Alpine's git and git-remote-https with every shared library they
#            load, for `diff-source: git` (diffs, and `git fetch` over https in
#            shallow clones)
#   final    distroless static: CA certificates, /etc/passwd, tzdata, the two
#            above; no shell, no package manager
#
# Every base image is pinned by digest; bump tag and digest together.

FROM rust:1.95-alpine@sha256:606fd313a0f49743ee2a7bd49a0914bab7deedb12791f3a846a34a4711db7ed2 AS builder

# The image already has what ring's C and assembly and the static link need:
# gcc (with binutils, whose readelf is used below) and musl-dev.
WORKDIR /src

# Dependencies first, against a stand-in crate: this layer is rebuilt only when
# Cargo.toml, Cargo.lock or the benchmarks change. Cargo reads every target the
# manifest names before it builds anything, so the `[[bench]]` source must be
# here too (it is not compiled). tests/suite/image.rs replays these COPY steps.
COPY Cargo.toml Cargo.lock ./
COPY benches/invalidate.rs benches/live.rs benches/config.rs ./benches/
RUN mkdir src \
 && echo 'fn main() {}' > src/main.rs \
 && touch src/lib.rs \
 && cargo build --release --locked \
 && rm -r src

# COPY keeps the files' own modification times, older than the stand-in build,
# so cargo would take the stand-in for up to date: touch the crate roots.
# The binary must be static (no PT_INTERP) to run in distroless static, and
# built for the platform being built: a base digest that is not a multi-arch
# index would otherwise give an amd64 binary in the arm64 image.
# The commit --version names: the release workflow passes the one it builds
# (a build argument is a variable of the RUN steps after it); without it the
# binary says the commit is unknown.
ARG TARGETARCH
ARG VERCEL_IMAGE_INVALIDATE_COMMIT
COPY src ./src
RUN touch src/main.rs src/lib.rs \
 && cargo build --release --locked \
 && readelf --program-headers target/release/vercel-image-invalidate > /tmp/headers \
 && if grep -q INTERP /tmp/headers; then \
      echo 'vercel-image-invalidate is dynamically linked' >&2; exit 1; \
    fi \
 && case "${TARGETARCH:-}" in \
      amd64) machine='X86-64' ;; \
      arm64) machine='AArch64' ;; \
      *) machine='' ;; \
    esac \
 && readelf --file-header target/release/vercel-image-invalidate > /tmp/header \
 && if [ -n "$machine" ] && ! grep -q "Machine:.*$machine" /tmp/header; then \
      echo "vercel-image-invalidate is not built for $TARGETARCH" >&2; exit 1; \
    fi \
 && cp target/release/vercel-image-invalidate /vercel-image-invalidate

FROM alpine:3.23.4@sha256:5b10f432ef3da1b8d4c7eb6c487f2f5a8f096bc91145e68878dd4a5019afde11 AS git

SHELL ["/bin/ash", "-eo", "pipefail", "-c"]

# git resolves `git remote-https` through its exec path, so both programs are
# needed; ldd lists every library either loads (the musl loader included), and
# tar -h copies the files behind the symlinks. The check runs the copied loader
# in ldd mode inside the copy: it exits 127 unless every library of both
# programs is found there and every symbol resolves.
# git is unversioned on purpose: the stage is pinned by digest, and Alpine keeps
# only the newest revision of a package in a branch, so an exact pin breaks the
# build at its next security update.
# hadolint ignore=DL3018
RUN apk add --no-cache git \
 && for program in /usr/bin/git /usr/libexec/git-core/git-remote-https; do \
      echo "$program"; \
      ldd "$program" | awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^\//) print $i }'; \
    done | sed 's|^/||' | sort -u > /tmp/closure \
 && mkdir /closure \
 && tar -C / -ch -T /tmp/closure -f - | tar -x -C /closure \
 && loader="/$(grep '^lib/ld-musl-' /tmp/closure)" \
 && chroot /closure "$loader" --list /usr/bin/git \
 && chroot /closure "$loader" --list /usr/libexec/git-core/git-remote-https

# The `latest` tag runs as root, as container actions must (the runner's files
# are not writable by another user); the action runs in /github/workspace,
# which the runner sets.
FROM gcr.io/distroless/static-debian12:latest@sha256:d75cdd72874d4790092fcb1b058493ecf6bb5bf2b2b897045b00ff01d91843f2

LABEL org.opencontainers.image.title="vercel-image-invalidate" \
      org.opencontainers.image.description="Invalidate Vercel's Image Optimization cache for the images a push changed" \
      org.opencontainers.image.source="https://github.com/vercel-image-invalidate/vercel-image-invalidate" \
      org.opencontainers.image.licenses="MIT"

COPY --from=git /closure/ /
COPY --from=builder /vercel-image-invalidate /usr/local/bin/vercel-image-invalidate

ENTRYPOINT ["/usr/local/bin/vercel-image-invalidate"]
