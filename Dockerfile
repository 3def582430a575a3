# syntax=docker/dockerfile:1
# feedpipe image: built on Debian 12 with the distribution's libraries, run on bookworm-slim
# with only the shared libraries the binary links (found with ldd, mapped to packages).

FROM debian:bookworm AS build
ENV DEBIAN_FRONTEND=noninteractive
RUN apt-get update && apt-get install -y --no-install-recommends \
      build-essential cmake ninja-build pkg-config ca-certificates \
      librdkafka-dev libpugixml-dev libcurl4-openssl-dev prometheus-cpp-dev \
      libgtest-dev libgmock-dev libmodest-dev libyaml-cpp-dev nlohmann-json3-dev \
      libsimdjson-dev libutf8proc-dev libuchardet-dev libxxhash-dev libcpp-httplib-dev \
      libssl-dev zlib1g-dev libbrotli-dev libzstd-dev python3 \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DFEEDPIPE_BENCH=OFF \
 && cmake --build /build --target feedpipe -j "$(nproc)" \
 && install -D -m 0755 /build/feedpipe /out/usr/local/bin/feedpipe \
 && strip /out/usr/local/bin/feedpipe
# The runtime packages: the owners of every shared library the binary needs.
# dpkg knows a file by the path its package shipped (/lib or /usr/lib, merged /usr or not).
RUN for lib in $(ldd /out/usr/local/bin/feedpipe | awk '/=> \//{print $3}'); do \
      real=$(realpath "$lib"); \
      for p in "$lib" "$real" "${real#/usr}" "/usr$lib"; do \
        if owner=$(dpkg -S "$p" 2>/dev/null); then echo "${owner%%:*}"; continue 2; fi; \
      done; \
      echo "no package owns $lib" >&2; exit 1; \
    done | sort -u > /out/runtime-packages.txt \
 && cat /out/runtime-packages.txt

FROM debian:bookworm-slim
ENV DEBIAN_FRONTEND=noninteractive
COPY --from=build /out/runtime-packages.txt /tmp/runtime-packages.txt
# curl serves the HEALTHCHECK; ca-certificates the HTTPS feeds.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates curl $(cat /tmp/runtime-packages.txt) \
 && rm -rf /var/lib/apt/lists/* /tmp/runtime-packages.txt \
 && groupadd --system --gid 65532 feedpipe \
 && useradd --system --uid 65532 --gid 65532 --home-dir /nonexistent --shell /usr/sbin/nologin feedpipe \
 && mkdir -p /etc/feedpipe
COPY --from=build /out/usr/local/bin/feedpipe /usr/local/bin/feedpipe
USER 65532:65532
EXPOSE 9464
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s --retries=3 \
  CMD curl -fsS -o /dev/null http://127.0.0.1:9464/livez || exit 1
ENTRYPOINT ["/usr/local/bin/feedpipe"]
CMD ["run", "--config", "/etc/feedpipe/feedpipe.yaml"]
