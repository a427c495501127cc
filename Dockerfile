# linkgate in a container: built from source, installed from its own Debian package into a slim
# image with no build tools, run as the package's unprivileged user. Not built by the tests
# (docs/operations.md, "Containers").
#
#   docker build -t linkgate .
#   docker run -p 8080:8080 -e LINKGATE_PUBLIC_URL=http://localhost:8080 \
#              -v linkgate-data:/var/lib/linkgate linkgate
FROM debian:12 AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates cmake ninja-build g++ file \
      dpkg-dev libpoco-dev libyaml-cpp-dev libboost-dev libkainjow-mustache-dev libssl-dev \
      libgmp-dev libpq-dev libgoogle-perftools-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN cmake -S . -B /build -G Ninja -DCMAKE_BUILD_TYPE=Release -DLINKGATE_BUILD_TESTS=OFF \
      -DLINKGATE_BUILD_BENCH=OFF \
 && cmake --build /build \
 && cd /build && cpack -G DEB

FROM debian:12-slim
COPY --from=build /build/linkgate_*_amd64.deb /tmp/
# The package brings the runtime libraries (its Depends:) and makes the `linkgate` user.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates /tmp/linkgate_*_amd64.deb \
 && rm -rf /var/lib/apt/lists/* /tmp/*.deb \
 && install -d -o linkgate -g linkgate -m 0700 /var/lib/linkgate \
 && sed -i -e 's|listen: 127.0.0.1:8080|listen: "${LINKGATE_LISTEN}"|' \
      -e 's|public_base_url: http://127.0.0.1:8080|public_base_url: "${LINKGATE_PUBLIC_URL}"|' \
      /etc/linkgate/linkgate.yaml
ENV LINKGATE_LISTEN=0.0.0.0:8080 LINKGATE_PUBLIC_URL=http://localhost:8080
USER linkgate
WORKDIR /var/lib/linkgate
VOLUME /var/lib/linkgate
EXPOSE 8080
# SIGTERM drains (docs/operations.md); give it the time: docker stop -t 60.
STOPSIGNAL SIGTERM
CMD ["/usr/bin/linkgate", "serve", "--config", "/etc/linkgate/linkgate.yaml"]
