#pragma once

// Helpers of the publisher's real-Kafka tests: configuration for a fresh topic prefix and an
// independent read_committed reader (plain librdkafka, none of the publisher's code).

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "common/config.h"

namespace feedpipe::publisher::testing {

#define FEEDPIPE_REQUIRE_KAFKA()                                                         \
  do {                                                                                   \
    if (::feedpipe::publisher::testing::bootstrap().empty()) {                           \
      GTEST_SKIP() << "KAFKA_BOOTSTRAP is not set (start one: KAFKA_PORT=19092 "         \
                      "scripts/kafka-local start; export KAFKA_BOOTSTRAP=127.0.0.1:19092)"; \
    }                                                                                    \
  } while (0)

inline std::string bootstrap() {
  const char* b = std::getenv("KAFKA_BOOTSTRAP");
  return b ? b : "";
}

// A prefix no other run or test uses, so tests never see each other's records.
inline std::string fresh_prefix(const std::string& test) {
  static int counter = 0;
  return "t" + std::to_string(::getpid()) + "-" + std::to_string(++counter) + "-" +
         std::to_string(std::chrono::steady_clock::now().time_since_epoch().count() % 100000) +
         "." + test;
}

inline KafkaConfig test_config(const std::string& test, int partitions = 3) {
  KafkaConfig c;
  c.bootstrap_servers = bootstrap();
  c.topic_prefix = fresh_prefix(test);
  c.group_id = c.topic_prefix + ".group";
  c.instance_id = "replica-a";
  c.partitions = partitions;
  c.replication_factor = -1;
  c.transaction_timeout = std::chrono::seconds(30);
  c.librdkafka = {{"session.timeout.ms", "6000"},
                  {"max.poll.interval.ms", "6000"},
                  {"heartbeat.interval.ms", "500"},
                  {"topic.metadata.refresh.interval.ms", "2000"}};
  return c;
}

struct Record {
  int partition = -1;
  std::int64_t offset = -1;
  std::string key;
  std::string value;
  bool tombstone = false;
  std::map<std::string, std::string> headers;
};

// Everything a read_committed consumer sees in `topic`, from the beginning to the end of
// every partition.
inline std::vector<Record> read_committed(const std::string& topic, int partitions) {
  char err[512];
  rd_kafka_conf_t* conf = rd_kafka_conf_new();
  rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap().c_str(), err, sizeof err);
  rd_kafka_conf_set(conf, "group.id", "verifier", err, sizeof err);
  rd_kafka_conf_set(conf, "isolation.level", "read_committed", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.partition.eof", "true", err, sizeof err);
  rd_kafka_conf_set(conf, "enable.auto.commit", "false", err, sizeof err);
  rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err, sizeof err);
  rd_kafka_topic_partition_list_t* list = rd_kafka_topic_partition_list_new(partitions);
  for (int p = 0; p < partitions; ++p) {
    rd_kafka_topic_partition_list_add(list, topic.c_str(), p)->offset = RD_KAFKA_OFFSET_BEGINNING;
  }
  rd_kafka_assign(rk, list);
  rd_kafka_topic_partition_list_destroy(list);
  std::vector<Record> out;
  int eof = 0;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (eof < partitions && std::chrono::steady_clock::now() < deadline) {
    rd_kafka_message_t* m = rd_kafka_consumer_poll(rk, 200);
    if (!m) continue;
    if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
      ++eof;
    } else if (!m->err) {
      Record r;
      r.partition = m->partition;
      r.offset = m->offset;
      r.key.assign(static_cast<const char*>(m->key), m->key_len);
      r.tombstone = m->payload == nullptr;
      if (m->payload) r.value.assign(static_cast<const char*>(m->payload), m->len);
      rd_kafka_headers_t* hdrs = nullptr;
      if (!rd_kafka_message_headers(m, &hdrs)) {
        const char* name;
        const void* val;
        size_t size;
        for (size_t i = 0; !rd_kafka_header_get_all(hdrs, i, &name, &val, &size); ++i) {
          r.headers[name] = std::string(static_cast<const char*>(val), size);
        }
      }
      out.push_back(std::move(r));
    }
    rd_kafka_message_destroy(m);
  }
  EXPECT_EQ(eof, partitions) << "reader did not reach the end of " << topic;
  rd_kafka_consumer_close(rk);
  rd_kafka_destroy(rk);
  return out;
}

// Calls `step` until `done` holds or the timeout passes; returns done().
inline bool eventually(const std::function<void()>& step, const std::function<bool()>& done,
                       std::chrono::seconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    step();
  }
  return true;
}

}  // namespace feedpipe::publisher::testing
