#include "app/kafka_stats.h"

#include <nlohmann/json.hpp>

namespace feedpipe::app {

bool parse_kafka_stats(std::string_view json, KafkaClientStats* out) {
  auto doc = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return false;
  KafkaClientStats s;
  s.queue_messages = doc.value("msg_cnt", 0.0);
  s.produced_messages_total = doc.value("txmsgs", 0.0);
  s.requests_total = doc.value("tx", 0.0);
  if (auto it = doc.find("brokers"); it != doc.end() && it->is_object()) {
    for (const auto& [name, b] : it->items()) {
      if (b.value("nodeid", -1) < 0) continue;  // bootstrap placeholders
      KafkaClientStats::Broker broker;
      broker.name = name;
      broker.up = b.value("state", "") == "UP";
      if (auto rtt = b.find("rtt"); rtt != b.end() && rtt->is_object())
        broker.rtt_p99_seconds = rtt->value("p99", 0.0) / 1e6;  // microseconds
      s.brokers.push_back(std::move(broker));
    }
  }
  if (auto it = doc.find("topics"); it != doc.end() && it->is_object()) {
    for (const auto& [tname, topic] : it->items()) {
      auto parts = topic.find("partitions");
      if (parts == topic.end() || !parts->is_object()) continue;
      for (const auto& [pname, p] : parts->items()) {
        if (pname == "-1") continue;  // UA partition
        double lag = p.value("consumer_lag", -1.0);
        if (lag > 0) s.consumer_lag_messages += lag;
      }
    }
  }
  *out = std::move(s);
  return true;
}

}  // namespace feedpipe::app
