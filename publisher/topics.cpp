#include "publisher/topics.h"

#include <memory>
#include <thread>

#include "common/log.h"
#include "publisher/kafka_client.h"

namespace feedpipe::publisher {
namespace {

struct NewTopicDeleter {
  void operator()(rd_kafka_NewTopic_t* t) const { rd_kafka_NewTopic_destroy(t); }
};
struct QueueDeleter {
  void operator()(rd_kafka_queue_t* q) const { rd_kafka_queue_destroy(q); }
};
struct EventDeleter {
  void operator()(rd_kafka_event_t* e) const { rd_kafka_event_destroy(e); }
};
struct AdminOptionsDeleter {
  void operator()(rd_kafka_AdminOptions_t* o) const { rd_kafka_AdminOptions_destroy(o); }
};

Result<detail::KafkaHandle> admin_client(const KafkaConfig& config) {
  // Only the connection settings matter for admin requests; a plain producer handle.
  auto conf = detail::make_conf(RD_KAFKA_PRODUCER, config, {},
                                {{"statistics.interval.ms", "0"}});
  if (!conf) return conf.error();
  return detail::make_client(RD_KAFKA_PRODUCER, std::move(*conf), nullptr);
}

}  // namespace

TopicNames TopicNames::from_prefix(const std::string& prefix) {
  return {prefix + ".raw",     prefix + ".entries",    prefix + ".articles",
          prefix + ".errors",  prefix + ".feed-state", prefix + ".dedup-state"};
}

Status ensure_topics(const KafkaConfig& config, std::chrono::milliseconds timeout) {
  auto client = admin_client(config);
  if (!client) return client.error();
  rd_kafka_t* rk = client->get();
  const TopicNames names = TopicNames::from_prefix(config.topic_prefix);

  std::vector<std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter>> topics;
  char err[512];
  for (const auto& name : names.all()) {
    std::unique_ptr<rd_kafka_NewTopic_t, NewTopicDeleter> t(rd_kafka_NewTopic_new(
        name.c_str(), config.partitions, config.replication_factor, err, sizeof err));
    if (!t) return Error{ErrorCode::kConfig, "topic " + name + ": " + err};
    if (name == names.feed_state || name == names.dedup_state) {
      rd_kafka_NewTopic_set_config(t.get(), "cleanup.policy", "compact");
    }
    topics.push_back(std::move(t));
  }
  std::vector<rd_kafka_NewTopic_t*> raw;
  for (auto& t : topics) raw.push_back(t.get());

  std::unique_ptr<rd_kafka_AdminOptions_t, AdminOptionsDeleter> options(
      rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS));
  rd_kafka_AdminOptions_set_request_timeout(options.get(), static_cast<int>(timeout.count()),
                                            err, sizeof err);
  rd_kafka_AdminOptions_set_operation_timeout(options.get(), static_cast<int>(timeout.count()),
                                              err, sizeof err);
  std::unique_ptr<rd_kafka_queue_t, QueueDeleter> queue(rd_kafka_queue_new(rk));
  rd_kafka_CreateTopics(rk, raw.data(), raw.size(), options.get(), queue.get());
  std::unique_ptr<rd_kafka_event_t, EventDeleter> event(
      rd_kafka_queue_poll(queue.get(), static_cast<int>(timeout.count()) + 5000));
  if (!event) return Error{ErrorCode::kTimeout, "CreateTopics: no answer", true};
  if (rd_kafka_event_error(event.get())) {
    return Error{ErrorCode::kKafka,
                 std::string("CreateTopics: ") + rd_kafka_event_error_string(event.get()), true};
  }
  const auto* result = rd_kafka_event_CreateTopics_result(event.get());
  size_t n = 0;
  const rd_kafka_topic_result_t** results = rd_kafka_CreateTopics_result_topics(result, &n);
  for (size_t i = 0; i < n; ++i) {
    const auto code = rd_kafka_topic_result_error(results[i]);
    const std::string name = rd_kafka_topic_result_name(results[i]);
    if (code == RD_KAFKA_RESP_ERR_NO_ERROR) {
      log::info("publisher", "topic created",
                {{"topic", name}, {"partitions", config.partitions}});
    } else if (code != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
      const char* why = rd_kafka_topic_result_error_string(results[i]);
      return Error{ErrorCode::kKafka,
                   "create topic " + name + ": " + rd_kafka_err2name(code) + " " + (why ? why : ""),
                   false};
    }
  }
  // CreateTopics answers before every broker knows the new partitions' leaders; clients
  // started right after would see UNKNOWN_TOPIC_OR_PART or NOT_LEADER.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  for (const auto& name : names.all()) {
    while (true) {
      bool ready = false;
      rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, name.c_str(), nullptr);
      const rd_kafka_metadata_t* md = nullptr;
      if (!rd_kafka_metadata(rk, 0, rkt, &md, 5000)) {
        if (md->topic_cnt == 1 && !md->topics[0].err && md->topics[0].partition_cnt > 0) {
          ready = true;
          for (int i = 0; i < md->topics[0].partition_cnt; ++i) {
            if (md->topics[0].partitions[i].leader < 0 || md->topics[0].partitions[i].err) {
              ready = false;
            }
          }
        }
        rd_kafka_metadata_destroy(md);
      }
      rd_kafka_topic_destroy(rkt);
      if (ready) break;
      if (std::chrono::steady_clock::now() > deadline) {
        return Error{ErrorCode::kTimeout, "topic " + name + " has no leaders yet", true};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  }
  return Ok{};
}

Result<int> partition_count(const KafkaConfig& config, const std::string& topic,
                            std::chrono::milliseconds timeout) {
  auto client = admin_client(config);
  if (!client) return client.error();
  rd_kafka_t* rk = client->get();
  rd_kafka_topic_t* rkt = rd_kafka_topic_new(rk, topic.c_str(), nullptr);
  const rd_kafka_metadata_t* md = nullptr;
  const auto err = rd_kafka_metadata(rk, 0, rkt, &md, static_cast<int>(timeout.count()));
  rd_kafka_topic_destroy(rkt);
  if (err) return detail::kafka_error(err, "metadata of " + topic);
  int count = 0;
  rd_kafka_resp_err_t topic_err = RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART;
  if (md->topic_cnt == 1) {
    count = md->topics[0].partition_cnt;
    topic_err = md->topics[0].err;
  }
  rd_kafka_metadata_destroy(md);
  if (topic_err) return detail::kafka_error(topic_err, "metadata of " + topic);
  return count;
}

}  // namespace feedpipe::publisher
