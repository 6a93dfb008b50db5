# Two entry points for a fresh Debian machine: `make run` and `make test`.
SWIFT ?= swift
# OS packages the build needs, and those the tests use (real runc, etcd, busybox, iptables and nftables, kubectl's peers).
BUILD_PACKAGES := libsqlite3-dev zlib1g-dev
TEST_PACKAGES := $(BUILD_PACKAGES) runc crun etcd-server etcd-client busybox-static iptables nftables iproute2 skopeo

.PHONY: run test build build-deps test-deps bench clean

run: build-deps
	$(SWIFT) build -c release --product skiff
	exec "$$($(SWIFT) build -c release --show-bin-path)/skiff" server

build: build-deps
	$(SWIFT) build

# The time limit turns a hung test into a failure CI can report instead of a killed job.
test: test-deps
	$(SWIFT) build --build-tests
	timeout --kill-after=30s 30m $(SWIFT) test --skip-build

build-deps:
	@scripts/install-packages.sh $(BUILD_PACKAGES)

test-deps:
	@scripts/install-packages.sh $(TEST_PACKAGES)

clean:
	rm -rf .build
