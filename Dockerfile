# The sandbox image generated code runs in (`--sandbox docker`): Debian's python3, pytest and numpy,
# every built-in language's toolchain (PACKAGES: node, g++, ...), and an unprivileged user. Nothing
# of assay is baked in: the backend sends its trusted server and the sandbox's modules to each
# container when it starts, so the image never goes stale.
#
# Build it with `make sandbox-image` (python -m sandbox.isolation.docker_image), which picks BASE:
# debian:bookworm-slim where Docker Hub answers, else a minimal Debian made by debootstrap from the
# configured apt mirror (PACKAGES already inside), imported as assay-sandbox-base:<packages digest>.
ARG BASE=debian:bookworm-slim
FROM ${BASE}
ARG PACKAGES="python3 python3-pytest python3-numpy"

RUN set -eu; \
    missing=""; \
    for p in $PACKAGES; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"; done; \
    if [ -n "$missing" ]; then \
        apt-get update; \
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $missing; \
    fi; \
    rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/cache/apt/archives/*.deb; \
    getent passwd sandbox >/dev/null || \
        useradd --uid 10001 --user-group --no-create-home --home-dir /sandbox/work \
            --shell /usr/sbin/nologin sandbox; \
    mkdir -p /sandbox; chown sandbox:sandbox /sandbox; \
    find /run /home -mindepth 1 -delete; \
    rm -rf /tmp; ln -s /sandbox/tmp /tmp

# /sandbox is a size-capped tmpfs at run time; /tmp points into it, so one cap covers both.
ENV LANG=C.UTF-8 PYTHONDONTWRITEBYTECODE=1 PYTEST_DISABLE_PLUGIN_AUTOLOAD=1
WORKDIR /sandbox
USER 10001:10001
LABEL org.opencontainers.image.title="assay-sandbox" assay.image="sandbox"
