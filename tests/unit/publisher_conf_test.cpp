// The kafka.librdkafka passthrough reaches each client only with the properties librdkafka
// documents for it, and never overrides what exactly-once depends on.

#include <gtest/gtest.h>

#include <string>

#include "publisher/kafka_client.h"

namespace feedpipe::publisher {
namespace {

std::string get(const detail::KafkaConf& conf, const char* name) {
  char value[512];
  std::size_t size = sizeof value;
  if (rd_kafka_conf_get(conf.get(), name, value, &size) != RD_KAFKA_CONF_OK) return "<unset>";
  return value;
}

KafkaConfig passthrough() {
  KafkaConfig config;
  config.bootstrap_servers = "127.0.0.1:1";
  config.librdkafka = {{"session.timeout.ms", "7000"},   // consumer only
                       {"linger.ms", "9"},               // producer only
                       {"socket.timeout.ms", "12345"},   // both
                       {"enable.idempotence", "false"}};  // producer only, and required
  return config;
}

TEST(KafkaConf, PassthroughReachesOnlyTheClientsAPropertyIsFor) {
  auto producer = detail::make_conf(RD_KAFKA_PRODUCER, passthrough(), {},
                                    {{"enable.idempotence", "true"}});
  ASSERT_TRUE(producer.ok()) << producer.error().message;
  EXPECT_EQ(get(*producer, "linger.ms"), "9");
  EXPECT_EQ(get(*producer, "socket.timeout.ms"), "12345");
  EXPECT_EQ(get(*producer, "session.timeout.ms"), "45000") << "librdkafka's default";
  EXPECT_EQ(get(*producer, "enable.idempotence"), "true") << "required settings win";

  auto consumer = detail::make_conf(RD_KAFKA_CONSUMER, passthrough(), {}, {});
  ASSERT_TRUE(consumer.ok()) << consumer.error().message;
  EXPECT_EQ(get(*consumer, "session.timeout.ms"), "7000");
  EXPECT_EQ(get(*consumer, "socket.timeout.ms"), "12345");
  EXPECT_EQ(get(*consumer, "linger.ms"), "5") << "librdkafka's default";
}

TEST(KafkaConf, UnknownPropertyIsStillAnError) {
  KafkaConfig config = passthrough();
  config.librdkafka["no.such.property"] = "1";
  auto conf = detail::make_conf(RD_KAFKA_CONSUMER, config, {}, {});
  ASSERT_FALSE(conf.ok());
  EXPECT_NE(conf.error().message.find("no.such.property"), std::string::npos);
}

}  // namespace
}  // namespace feedpipe::publisher
