# The two commands of the README: `make run` and `make test`.
BUILD_DIR ?= build
SAN_BUILD_DIR ?= build-san
CMAKE_FLAGS ?=
JOBS ?= $(shell nproc)

.PHONY: deps build build-san run test test-unit kafka-start kafka-stop clean

deps:
	scripts/install-deps

build: deps
	cmake -S . -B $(BUILD_DIR) -G Ninja $(CMAKE_FLAGS)
	cmake --build $(BUILD_DIR) -j $(JOBS)

build-san: deps
	cmake -S . -B $(SAN_BUILD_DIR) -G Ninja -DFEEDPIPE_SANITIZE="address;undefined" \
	  -DFEEDPIPE_BENCH=OFF $(CMAKE_FLAGS)
	cmake --build $(SAN_BUILD_DIR) -j $(JOBS)

# Sets everything up and runs the pipeline on a local Kafka with the example feeds.
run: build
	scripts/kafka-local start
	$(BUILD_DIR)/feedpipe run --config examples/feedpipe.yaml

# Sets everything up and runs every test (what CI runs).
test: deps
	scripts/run-tests

test-unit: build
	ctest --test-dir $(BUILD_DIR) -L unit --output-on-failure -j $(JOBS)

kafka-start:
	scripts/kafka-local start

kafka-stop:
	scripts/kafka-local stop

clean:
	rm -rf $(BUILD_DIR) $(SAN_BUILD_DIR)
