#include "publisher/kafka_client.h"

#include <unistd.h>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <optional>
#include <set>
#include <thread>
#include <unordered_map>

#include "common/log.h"

namespace feedpipe::publisher::detail {
namespace {

constexpr std::string_view kLog = "publisher";

void log_cb(const rd_kafka_t* rk, int level, const char* fac, const char* buf) {
  const std::string_view name = rk ? rd_kafka_name(rk) : "";
  if (level <= 3) {
    log::error(kLog, "librdkafka", {{"client", name}, {"facility", fac}, {"detail", buf}});
  } else if (level <= 4) {
    log::warn(kLog, "librdkafka", {{"client", name}, {"facility", fac}, {"detail", buf}});
  } else {
    log::debug(kLog, "librdkafka", {{"client", name}, {"facility", fac}, {"detail", buf}});
  }
}

void error_cb(rd_kafka_t* rk, int err, const char* reason, void*) {
  // Transport errors are retried by librdkafka; fatal ones are picked up where they matter
  // (rd_kafka_fatal_error at commit time).
  log::warn(kLog, "kafka client error",
            {{"client", rd_kafka_name(rk)},
             {"error", rd_kafka_err2name(static_cast<rd_kafka_resp_err_t>(err))},
             {"detail", reason}});
}

int stats_cb(rd_kafka_t*, char* json, size_t len, void* opaque) {
  auto* target = static_cast<ClientContext*>(opaque);
  if (target && target->sink) emit_statistics(*target->sink, target->role, {json, len});
  return 0;  // librdkafka frees json
}

}  // namespace

namespace {

// Which clients a property applies to, from librdkafka's own table of properties
// (rd_kafka_conf_properties_show): 'C' consumers, 'P' producers, '*' both or unknown.
char property_scope(const std::string& name) {
  static const std::unordered_map<std::string, char> scopes = [] {
    std::unordered_map<std::string, char> out;
    char* buffer = nullptr;
    std::size_t size = 0;
    FILE* table = open_memstream(&buffer, &size);
    if (table == nullptr) return out;
    rd_kafka_conf_properties_show(table);
    std::fclose(table);
    std::string_view text(buffer, size);
    while (!text.empty()) {
      const std::size_t eol = std::min(text.find('\n'), text.size());
      const std::string_view line = text.substr(0, eol);
      text.remove_prefix(std::min(eol + 1, text.size()));
      // "name                 |  C  | range | ..." (the header row has "| C/P |")
      const std::size_t bar = line.find('|');
      if (bar == std::string_view::npos || bar + 4 >= line.size()) continue;
      const char scope = line[bar + 3];
      if (scope != 'C' && scope != 'P' && scope != '*') continue;
      std::string_view property = line.substr(0, bar);
      while (!property.empty() && property.back() == ' ') property.remove_suffix(1);
      out.emplace(std::string(property), scope);
    }
    std::free(buffer);
    return out;
  }();
  const auto it = scopes.find(name);
  return it == scopes.end() ? '*' : it->second;
}

}  // namespace

Result<KafkaConf> make_conf(rd_kafka_type_t type, const KafkaConfig& config,
                            const Properties& defaults, const Properties& required) {
  KafkaConf conf(rd_kafka_conf_new());
  char err[512];
  auto set = [&](const std::string& k, const std::string& v) -> std::optional<Error> {
    if (rd_kafka_conf_set(conf.get(), k.c_str(), v.c_str(), err, sizeof err) !=
        RD_KAFKA_CONF_OK) {
      return Error{ErrorCode::kConfig, "librdkafka property " + k + ": " + err};
    }
    return std::nullopt;
  };
  if (auto e = set("bootstrap.servers", config.bootstrap_servers)) return *e;
  for (const auto& [k, v] : defaults) {
    if (auto e = set(k, v)) return *e;
  }
  const char other_side = type == RD_KAFKA_PRODUCER ? 'C' : 'P';
  for (const auto& [k, v] : config.librdkafka) {
    if (property_scope(k) == other_side) continue;
    if (auto e = set(k, v)) return *e;
  }
  for (const auto& [k, v] : required) {
    if (auto e = set(k, v)) return *e;
  }
  rd_kafka_conf_set_log_cb(conf.get(), log_cb);
  rd_kafka_conf_set_error_cb(conf.get(), error_cb);
  rd_kafka_conf_set_stats_cb(conf.get(), stats_cb);
  return conf;
}

Result<KafkaHandle> make_client(rd_kafka_type_t type, KafkaConf conf, ClientContext* context) {
  char err[512];
  if (context) rd_kafka_conf_set_opaque(conf.get(), context);
  rd_kafka_t* rk = rd_kafka_new(type, conf.get(), err, sizeof err);
  if (!rk) return Error{ErrorCode::kConfig, std::string("rd_kafka_new: ") + err};
  conf.release();  // owned by rk now
  return KafkaHandle(rk);
}

std::string instance_id_of(const KafkaConfig& config) {
  if (!config.instance_id.empty()) return config.instance_id;
  char host[256] = {};
  gethostname(host, sizeof host - 1);
  return host;
}

void rebalance_assign(rd_kafka_t* rk, const rd_kafka_topic_partition_list_t* partitions) {
  auto* context = static_cast<ClientContext*>(rd_kafka_opaque(rk));
  if (context == nullptr || !context->close_deadline) {
    rd_kafka_assign(rk, partitions);
    return;
  }
  auto returned = std::make_shared<std::promise<void>>();
  auto done = returned->get_future();
  PartitionList copy(partitions ? rd_kafka_topic_partition_list_copy(partitions) : nullptr);
  std::thread([rk, copy = std::move(copy), returned] {
    rd_kafka_assign(rk, copy.get());
    returned->set_value();
  }).detach();
  if (done.wait_until(*context->close_deadline) != std::future_status::ready) {
    context->assign_abandoned = true;
  }
}

bool close_consumer(KafkaHandle& consumer, RebalanceFn on_rebalance, Role role, EventSink* sink,
                    Millis timeout) {
  if (!consumer) return true;
  rd_kafka_t* rk = consumer.get();
  const auto started = std::chrono::steady_clock::now();
  auto* context = on_rebalance ? static_cast<ClientContext*>(rd_kafka_opaque(rk)) : nullptr;
  if (context) {
    context->close_deadline = started + timeout;
    context->assign_abandoned = false;
  }
  const auto abandoned = [&] { return context && context->assign_abandoned; };
  Queue queue(rd_kafka_queue_new(rk));
  bool closed = false;
  if (KafkaError err(rd_kafka_consumer_close_queue(rk, queue.get())); err) {
    // A consumer that failed fatally cannot leave the group; the group drops it later.
    log::warn(kLog, "consumer close failed",
              {{"role", role_name(role)}, {"error", rd_kafka_error_name(err.get())}});
  } else {
    while (!(closed = rd_kafka_consumer_closed(rk) != 0) && !abandoned()) {
      const auto left = std::chrono::ceil<std::chrono::milliseconds>(
          started + timeout - std::chrono::steady_clock::now());
      if (left.count() <= 0) break;
      // Short waits: becoming closed is not an event on the queue.
      Event event(rd_kafka_queue_poll(
          queue.get(), static_cast<int>(std::min<std::int64_t>(left.count(), 100))));
      if (!event) continue;
      if (rd_kafka_event_type(event.get()) == RD_KAFKA_EVENT_REBALANCE) {
        auto* partitions = rd_kafka_event_topic_partition_list(event.get());
        if (on_rebalance) {
          on_rebalance(rk, rd_kafka_event_error(event.get()), partitions, rd_kafka_opaque(rk));
        } else {
          rd_kafka_assign(rk, nullptr);
        }
      } else if (rd_kafka_event_type(event.get()) == RD_KAFKA_EVENT_ERROR) {
        log::warn(kLog, "consumer close",
                  {{"role", role_name(role)},
                   {"error", rd_kafka_err2name(rd_kafka_event_error(event.get()))}});
      }
    }
    if (!closed) {
      const auto waited =
          std::chrono::duration_cast<Millis>(std::chrono::steady_clock::now() - started);
      log::warn(kLog, "consumer did not leave its group in time; dropping it",
                {{"role", role_name(role)},
                 {"ms", static_cast<std::int64_t>(waited.count())},
                 {"stuck_in_assign", abandoned()}});
      if (sink) sink->on(ConsumerCloseTimedOut{role, waited});
    }
  }
  const bool leak = abandoned();
  if (context) {
    context->close_deadline.reset();
    context->assign_abandoned = false;
  }
  queue.reset();
  if (leak) {
    // A thread is still inside rd_kafka_assign on this handle: destroying it would pull the
    // handle from under that call. It is left to the process, as are its threads.
    consumer.release();
    return false;
  }
  // rd_kafka_destroy would run a consumer close of its own, without a deadline, when the
  // one above did not finish.
  rd_kafka_destroy_flags(consumer.release(), closed ? 0 : RD_KAFKA_DESTROY_F_NO_CONSUMER_CLOSE);
  return closed;
}

Status fetch_committed(rd_kafka_t* rk, rd_kafka_topic_partition_list_t* partitions, Millis timeout,
                       std::string_view what) {
  auto err = rd_kafka_committed(rk, partitions, static_cast<int>(timeout.count()));
  for (int i = 0; !err && i < partitions->cnt; ++i) err = partitions->elems[i].err;
  if (err) return kafka_error(err, "committed offsets of " + std::string(what));
  return Ok{};
}

KafkaHandle make_group_consumer(const KafkaConfig& config, std::string_view role,
                                const std::string& instance_id, const std::string& topic,
                                RebalanceFn on_rebalance, ClientContext* context,
                                const Properties& extra_defaults) {
  Properties defaults = {{"session.timeout.ms", "30000"},
                         {"partition.assignment.strategy", "range"}};
  defaults.insert(defaults.end(), extra_defaults.begin(), extra_defaults.end());
  const std::string what = std::string(role) + " consumer";
  auto conf = value_or_throw(make_conf(RD_KAFKA_CONSUMER, config, defaults,
                                       {{"group.id", config.group_id + "." + std::string(role)},
                                        {"group.instance.id", instance_id},
                                        {"enable.auto.commit", "false"},
                                        {"enable.auto.offset.store", "false"},
                                        {"isolation.level", "read_committed"}}),
                             what.c_str());
  rd_kafka_conf_set_rebalance_cb(conf.get(), on_rebalance);
  auto consumer = value_or_throw(make_client(RD_KAFKA_CONSUMER, std::move(conf), context),
                                 what.c_str());
  PartitionList sub(rd_kafka_topic_partition_list_new(1));
  rd_kafka_topic_partition_list_add(sub.get(), topic.c_str(), RD_KAFKA_PARTITION_UA);
  if (auto err = rd_kafka_subscribe(consumer.get(), sub.get())) {
    throw std::runtime_error(what + ": subscribe: " + rd_kafka_err2str(err));
  }
  return consumer;
}

Error kafka_error(rd_kafka_resp_err_t err, std::string_view context) {
  Error e;
  e.code = err == RD_KAFKA_RESP_ERR__FATAL ? ErrorCode::kKafkaFatal : ErrorCode::kKafka;
  e.message = std::string(context) + ": " + rd_kafka_err2name(err) + " (" + rd_kafka_err2str(err) + ")";
  e.retriable = err != RD_KAFKA_RESP_ERR__FATAL;
  return e;
}

Error kafka_error(const rd_kafka_error_t* err, std::string_view context) {
  Error e;
  e.code = rd_kafka_error_is_fatal(err) ? ErrorCode::kKafkaFatal : ErrorCode::kKafka;
  e.message = std::string(context) + ": " + rd_kafka_error_name(err) + " (" +
              rd_kafka_error_string(err) + ")";
  e.retriable = !rd_kafka_error_is_fatal(err);
  return e;
}

void emit_statistics(EventSink& sink, Role role, std::string_view text) {
  using nlohmann::json;
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return;
  KafkaStatistics s;
  s.role = role;
  s.client = j.value("type", "");
  s.msg_cnt = j.value("msg_cnt", std::int64_t{0});
  s.tx = j.value("tx", std::int64_t{0});
  s.txmsgs = j.value("txmsgs", std::int64_t{0});
  s.rx = j.value("rx", std::int64_t{0});
  s.rxmsgs = j.value("rxmsgs", std::int64_t{0});
  if (auto eos = j.find("eos"); eos != j.end() && eos->is_object()) {
    s.txn_state = eos->value("txn_state", "");
  }
  if (auto brokers = j.find("brokers"); brokers != j.end() && brokers->is_object()) {
    for (const auto& [name, b] : brokers->items()) {
      if (b.value("nodeid", -1) < 0) continue;  // bootstrap and logical brokers
      KafkaStatistics::Broker br;
      br.name = name;
      br.state = b.value("state", "");
      if (auto rtt = b.find("rtt"); rtt != b.end() && rtt->is_object()) {
        br.rtt_avg_us = rtt->value("avg", std::int64_t{0});
        br.rtt_p99_us = rtt->value("p99", std::int64_t{0});
      }
      s.brokers.push_back(std::move(br));
    }
  }
  if (auto topics = j.find("topics"); topics != j.end() && topics->is_object()) {
    for (const auto& [tname, t] : topics->items()) {
      auto parts = t.find("partitions");
      if (parts == t.end() || !parts->is_object()) continue;
      for (const auto& [pname, p] : parts->items()) {
        const auto lag = p.value("consumer_lag", std::int64_t{-1});
        if (lag > 0) s.consumer_lag += lag;
      }
    }
  }
  s.json = std::string(text);
  sink.on(s);
}

Status restore_partitions(const KafkaConfig& config, const std::string& topic,
                          const std::vector<int>& partitions, Topic topic_label, EventSink& sink,
                          void* ctx, RecordFn on_record, std::chrono::milliseconds timeout) {
  const auto started = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration_cast<std::chrono::microseconds>(
        std::chrono::steady_clock::now() - started);
  };
  if (partitions.empty()) return Ok{};
  auto conf = make_conf(RD_KAFKA_CONSUMER, config,
                        {{"group.id", config.group_id + ".restore"},
                         {"fetch.wait.max.ms", "50"}},
                        {{"enable.auto.commit", "false"},
                         {"enable.partition.eof", "true"},
                         {"isolation.level", "read_committed"},
                         {"statistics.interval.ms", "0"}});
  if (!conf) return conf.error();
  auto client = make_client(RD_KAFKA_CONSUMER, std::move(*conf), nullptr);
  if (!client) return client.error();
  rd_kafka_t* rk = client->get();
  // Every way out closes the reader within the close timeout.
  const Role role = topic_label == Topic::kDedupState ? Role::kDedup : Role::kIngest;
  auto close_reader = [&](rd_kafka_t*) { close_consumer(*client, nullptr, role, &sink); };
  std::unique_ptr<rd_kafka_t, decltype(close_reader)> closing(rk, close_reader);

  std::set<int> pending;
  PartitionList list(rd_kafka_topic_partition_list_new(static_cast<int>(partitions.size())));
  for (int p : partitions) {
    std::int64_t low = 0, high = 0;
    rd_kafka_resp_err_t err;
    // Leader elections (new topic, broker failover) answer with retriable errors.
    while ((err = rd_kafka_query_watermark_offsets(rk, topic.c_str(), p, &low, &high, 5000)) &&
           std::chrono::steady_clock::now() < started + timeout) {
      std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    if (err) return kafka_error(err, "watermarks of " + topic);
    if (high > low) {
      pending.insert(p);
      rd_kafka_topic_partition_list_add(list.get(), topic.c_str(), p)->offset =
          RD_KAFKA_OFFSET_BEGINNING;
    }
  }
  std::int64_t records = 0;
  sink.on(RestoreProgress{topic_label, static_cast<int>(pending.size()), 0, elapsed(), false});
  if (!pending.empty()) {
    if (auto err = rd_kafka_assign(rk, list.get())) return kafka_error(err, "assign " + topic);
    const auto deadline = started + timeout;
    while (!pending.empty()) {
      if (std::chrono::steady_clock::now() > deadline) {
        return Error{ErrorCode::kTimeout, "restore of " + topic + " did not reach the end",
                     true};
      }
      Message msg(rd_kafka_consumer_poll(rk, 100));
      if (!msg) continue;
      if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
        pending.erase(msg->partition);
        sink.on(RestoreProgress{topic_label, static_cast<int>(pending.size()), records, elapsed(),
                                false});
        continue;
      }
      if (msg->err) {
        log::warn(kLog, "restore fetch error",
                  {{"topic", topic}, {"error", rd_kafka_err2name(msg->err)}});
        continue;
      }
      ++records;
      on_record(ctx, msg->partition,
                {static_cast<const char*>(msg->key), msg->key_len},
                {static_cast<const char*>(msg->payload), msg->len}, msg->payload == nullptr);
      if (records % 10000 == 0) {
        sink.on(RestoreProgress{topic_label, static_cast<int>(pending.size()), records,
                                elapsed(), false});
      }
    }
  }
  closing.reset();
  sink.on(RestoreProgress{topic_label, 0, records, elapsed(), true});
  log::info(kLog, "state restored",
            {{"topic", topic}, {"partitions", static_cast<std::int64_t>(partitions.size())},
             {"records", records}, {"ms", static_cast<std::int64_t>(elapsed().count() / 1000)}});
  return Ok{};
}

// ---------------------------------------------------------------------------------------

TxnProducer::TxnProducer(const KafkaConfig& config, std::string transactional_id, Role role,
                         EventSink& sink)
    : config_(config),
      transactional_id_(std::move(transactional_id)),
      role_(role),
      sink_(sink),
      context_{&sink, role, this} {}

TxnProducer::~TxnProducer() {
  if (rk_ && in_transaction_) {
    KafkaError e(rd_kafka_abort_transaction(rk_.get(), 5000));
  }
}

Status TxnProducer::start() {
  needs_rebuild_ = false;
  in_transaction_ = false;
  const auto txn_ms = std::to_string(config_.transaction_timeout.count());
  auto conf = make_conf(RD_KAFKA_PRODUCER, config_,
                        {{"partitioner", "murmur2_random"},
                         {"linger.ms", "5"},
                         {"message.timeout.ms", txn_ms}},
                        {{"transactional.id", transactional_id_},
                         {"enable.idempotence", "true"},
                         {"acks", "all"},
                         {"transaction.timeout.ms", txn_ms}});
  if (!conf) return conf.error();
  auto client = make_client(RD_KAFKA_PRODUCER, std::move(*conf), &context_);
  if (!client) return client.error();
  rk_ = std::move(*client);
  // init_transactions: retriable errors (coordinator loading) are retried until the
  // transaction timeout; fencing of a previous incarnation happens here.
  const auto deadline = std::chrono::steady_clock::now() + config_.transaction_timeout;
  while (true) {
    KafkaError err(rd_kafka_init_transactions(rk_.get(), 30000));
    if (!err) break;
    if (rd_kafka_error_is_retriable(err.get()) && std::chrono::steady_clock::now() < deadline) {
      continue;
    }
    auto e = kafka_error(err.get(), "init_transactions");
    rk_.reset();
    return e;
  }
  return Ok{};
}

Status TxnProducer::rebuild(ErrorCode reason, const std::string& why) {
  log::warn(kLog, "rebuilding transactional producer",
            {{"transactional_id", transactional_id_}, {"reason", why}});
  if (rk_) {
    // Queued and in-flight records belong to the failed transaction: drop them, do not
    // wait for them.
    rd_kafka_purge(rk_.get(), RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
    rk_.reset();
  }
  sink_.on(ProducerRebuilt{role_, reason, why});
  return start();
}

Status TxnProducer::begin() {
  if (!rk_ || needs_rebuild_) {
    if (auto st = rebuild(ErrorCode::kKafkaFatal, "producer unusable"); !st) return st;
  }
  KafkaError err(rd_kafka_begin_transaction(rk_.get()));
  if (err) {
    auto e = kafka_error(err.get(), "begin_transaction");
    if (rd_kafka_error_is_fatal(err.get())) needs_rebuild_ = true;
    return e;
  }
  in_transaction_ = true;
  records_ = 0;
  began_ = std::chrono::steady_clock::now();
  return Ok{};
}

Status TxnProducer::produce(const std::string& topic, int partition, std::string_view key,
                            const std::string* value, const std::vector<Header>& headers) {
  rd_kafka_headers_t* hdrs = nullptr;
  if (!headers.empty()) {
    hdrs = rd_kafka_headers_new(headers.size());
    for (const auto& h : headers) {
      rd_kafka_header_add(hdrs, h.key.data(), static_cast<ssize_t>(h.key.size()), h.value.data(),
                          static_cast<ssize_t>(h.value.size()));
    }
  }
  while (true) {
    const auto err = rd_kafka_producev(
        rk_.get(), RD_KAFKA_V_TOPIC(topic.c_str()),
        RD_KAFKA_V_PARTITION(partition < 0 ? RD_KAFKA_PARTITION_UA : partition),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
        RD_KAFKA_V_KEY(const_cast<char*>(key.data()), key.size()),
        RD_KAFKA_V_VALUE(value ? const_cast<char*>(value->data()) : nullptr,
                         value ? value->size() : 0),
        RD_KAFKA_V_HEADERS(hdrs), RD_KAFKA_V_END);
    if (!err) break;  // headers are owned by the message now
    if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
      rd_kafka_poll(rk_.get(), 50);  // backpressure: let deliveries drain
      continue;
    }
    if (hdrs) rd_kafka_headers_destroy(hdrs);
    if (err == RD_KAFKA_RESP_ERR__FATAL) needs_rebuild_ = true;
    return kafka_error(err, "produce to " + topic);
  }
  ++records_;
  return Ok{};
}

Status TxnProducer::send_offsets(const rd_kafka_topic_partition_list_t* offsets,
                                 const rd_kafka_consumer_group_metadata_t* group) {
  KafkaError err(rd_kafka_send_offsets_to_transaction(
      rk_.get(), offsets, group, static_cast<int>(config_.transaction_timeout.count())));
  if (!err) return Ok{};
  if (rd_kafka_error_is_fatal(err.get())) needs_rebuild_ = true;
  return kafka_error(err.get(), "send_offsets_to_transaction");
}

Status TxnProducer::commit() {
  // Retriable commit errors are retried (the call is resumable); a commit that keeps
  // timing out is aborted and the producer recreated, since with librdkafka < 2.3 and
  // without KIP-890 a producer that lost track of its transaction is not to be trusted.
  const CommitFault fault = fault_ ? fault_() : CommitFault::kNone;
  if (fault == CommitFault::kFatalBeforeCommit) {
    rd_kafka_test_fatal_error(rk_.get(), RD_KAFKA_RESP_ERR_OUT_OF_ORDER_SEQUENCE_NUMBER,
                              "injected before the commit");
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    KafkaError err(rd_kafka_commit_transaction(
        rk_.get(), static_cast<int>(config_.transaction_timeout.count())));
    if (!err && (fault == CommitFault::kLoseCommitAnswer ||
                 fault == CommitFault::kLoseCommitAnswerUnsettled)) {
      in_transaction_ = false;
      needs_rebuild_ = true;
      unsettled_fault_ = fault == CommitFault::kLoseCommitAnswerUnsettled;
      return Error{ErrorCode::kTimeout, "commit_transaction: the answer was lost (injected)", true};
    }
    if (!err) {
      in_transaction_ = false;
      sink_.on(TransactionCommitted{
          role_,
          std::chrono::duration_cast<std::chrono::microseconds>(
              std::chrono::steady_clock::now() - began_),
          records_});
      return Ok{};
    }
    if (rd_kafka_error_is_retriable(err.get())) {
      log::warn(kLog, "commit retriable error", {{"error", rd_kafka_error_name(err.get())}});
      continue;
    }
    return handle_txn_error(std::move(err), "commit_transaction");
  }
  Error e{ErrorCode::kTimeout, "commit_transaction kept failing; aborting", true};
  abort(e);
  needs_rebuild_ = true;
  return e;
}

Status TxnProducer::handle_txn_error(KafkaError err, std::string_view what) {
  Error e = kafka_error(err.get(), what);
  if (rd_kafka_error_is_fatal(err.get()) || rd_kafka_fatal_error(rk_.get(), nullptr, 0)) {
    e.code = ErrorCode::kKafkaFatal;
    needs_rebuild_ = true;
    in_transaction_ = false;
    sink_.on(TransactionAborted{role_, ErrorCode::kKafkaFatal, e.message});
    return e;
  }
  abort(e);
  return e;
}

void TxnProducer::abort(const Error& why) {
  if (!rk_ || !in_transaction_) return;
  in_transaction_ = false;
  if (needs_rebuild_ || rd_kafka_fatal_error(rk_.get(), nullptr, 0)) {
    needs_rebuild_ = true;  // a fatal producer cannot abort; rebuilding fences it
    sink_.on(TransactionAborted{role_, ErrorCode::kKafkaFatal, why.message});
    return;
  }
  KafkaError err(rd_kafka_abort_transaction(
      rk_.get(), static_cast<int>(config_.transaction_timeout.count())));
  if (err) {
    log::warn(kLog, "abort_transaction failed; producer will be rebuilt",
              {{"error", rd_kafka_error_name(err.get())}});
    needs_rebuild_ = true;
  }
  sink_.on(TransactionAborted{role_, why.code == ErrorCode::kKafkaFatal ? ErrorCode::kKafkaFatal
                                                                         : ErrorCode::kKafka,
                              why.message});
}

TxnOutcome TxnProducer::settle(const Error& why, rd_kafka_t* consumer,
                               const rd_kafka_topic_partition_list_t* offsets, Millis timeout) {
  if (healthy()) return TxnOutcome::kAborted;
  const auto outcome = [&] {
    if (auto st = rebuild(why.code, why.message); !st) {
      log::warn(kLog, "transaction outcome unknown: the producer could not be rebuilt",
                {{"error", st.error().message}});
      return TxnOutcome::kUnknown;
    }
    if (std::exchange(unsettled_fault_, false)) {
      log::warn(kLog, "transaction outcome unknown: Kafka not asked (injected)");
      return TxnOutcome::kUnknown;
    }
    if (!offsets || offsets->cnt == 0) return TxnOutcome::kUnknown;
    PartitionList committed(rd_kafka_topic_partition_list_copy(offsets));
    if (auto st = fetch_committed(consumer, committed.get(), timeout, "a settled transaction");
        !st) {
      log::warn(kLog, "transaction outcome unknown", {{"error", st.error().message}});
      return TxnOutcome::kUnknown;
    }
    // Applied: every partition's committed offset is the transaction's. Not applied: every
    // one is still before it. Anything else (only some, or a partition another owner has
    // taken further since) cannot be told apart from this side.
    int applied = 0, before = 0;
    for (int i = 0; i < offsets->cnt; ++i) {
      applied += committed->elems[i].offset == offsets->elems[i].offset;
      before += committed->elems[i].offset < offsets->elems[i].offset;
    }
    if (applied == offsets->cnt) return TxnOutcome::kCommitted;
    if (before == offsets->cnt) return TxnOutcome::kAborted;
    log::error(kLog, "transaction outcome unknown: the committed offsets match it only in part",
               {{"matching", static_cast<std::int64_t>(applied)},
                {"partitions", static_cast<std::int64_t>(offsets->cnt)}});
    return TxnOutcome::kUnknown;
  }();
  sink_.on(TransactionSettled{role_, outcome});
  return outcome;
}

Status TxnProducer::flush(std::chrono::milliseconds timeout) {
  if (auto err = rd_kafka_flush(rk_.get(), static_cast<int>(timeout.count()))) {
    return kafka_error(err, "flush");
  }
  return Ok{};
}

void TxnProducer::poll(int timeout_ms) {
  if (rk_) rd_kafka_poll(rk_.get(), timeout_ms);
}

}  // namespace feedpipe::publisher::detail
