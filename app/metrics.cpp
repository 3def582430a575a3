#include "app/metrics.h"

#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <prometheus/collectable.h>
#include <prometheus/text_serializer.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string_view>

#include "app/kafka_stats.h"

namespace feedpipe::app {

using prometheus::BuildCounter;
using prometheus::BuildGauge;
using prometheus::BuildHistogram;
using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

namespace {

const prometheus::Histogram::BucketBoundaries kLatencyBuckets = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
const prometheus::Histogram::BucketBoundaries kFastBuckets = {
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1};
const prometheus::Histogram::BucketBoundaries kCountBuckets = {0, 1, 2, 5, 10, 20, 50, 100, 500};

constexpr std::string_view kKinds[] = {"feed", "article"};
constexpr std::string_view kTopics[] = {"raw",        "entries",   "articles",
                                        "errors",     "feed_state", "dedup_state"};
constexpr std::string_view kRoles[] = {"ingest", "dedup", "enrich"};
constexpr std::string_view kCodeClasses[] = {"2xx", "3xx", "4xx", "5xx"};

std::string s(std::string_view v) { return std::string(v); }

ClientMetric::Label label(std::string name, std::string value) {
  return ClientMetric::Label{std::move(name), std::move(value)};
}

}  // namespace

// librdkafka statistics snapshots, exported with the counter semantics librdkafka gives
// them: cumulative values are counters set to the latest snapshot, not increments.
class Metrics::KafkaStatsCollector : public prometheus::Collectable {
 public:
  void set(const std::string& client, const KafkaClientStats& stats) {
    std::lock_guard lock(mutex_);
    clients_[client] = stats;
  }

  std::vector<MetricFamily> Collect() const override {
    std::lock_guard lock(mutex_);
    MetricFamily up{"feedpipe_kafka_broker_up", "1 when librdkafka's broker state is UP",
                    MetricType::Gauge, {}};
    MetricFamily rtt{"feedpipe_kafka_broker_rtt_seconds", "Broker round-trip time, p99",
                     MetricType::Gauge, {}};
    MetricFamily queue{"feedpipe_kafka_queue_messages", "Messages in librdkafka's queues",
                       MetricType::Gauge, {}};
    MetricFamily lag{"feedpipe_kafka_consumer_lag_messages",
                     "Sum of consumer lag over assigned partitions", MetricType::Gauge, {}};
    MetricFamily produced{"feedpipe_kafka_produced_messages_total",
                          "Messages sent to brokers by librdkafka", MetricType::Counter, {}};
    MetricFamily requests{"feedpipe_kafka_requests_total", "Requests sent to brokers",
                          MetricType::Counter, {}};
    for (const auto& [client, st] : clients_) {
      for (const auto& b : st.brokers) {
        ClientMetric m;
        m.label = {label("broker", b.name), label("client", client)};
        m.gauge.value = b.up ? 1 : 0;
        up.metric.push_back(m);
        m.gauge.value = b.rtt_p99_seconds;
        rtt.metric.push_back(m);
      }
      ClientMetric m;
      m.label = {label("client", client)};
      m.gauge.value = st.queue_messages;
      queue.metric.push_back(m);
      m.gauge.value = st.consumer_lag_messages;
      lag.metric.push_back(m);
      m.gauge.value = 0;
      m.counter.value = st.produced_messages_total;
      produced.metric.push_back(m);
      m.counter.value = st.requests_total;
      requests.metric.push_back(m);
    }
    std::vector<MetricFamily> out;
    for (auto* f : {&up, &rtt, &queue, &lag, &produced, &requests})
      if (!f->metric.empty()) out.push_back(std::move(*f));
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::map<std::string, KafkaClientStats> clients_;  // guarded by mutex_
};

// The standard process_* metrics from /proc/self (prometheus-cpp has no process collector).
class Metrics::ProcessCollector : public prometheus::Collectable {
 public:
  ProcessCollector() : start_time_(read_start_time()) {}

  std::vector<MetricFamily> Collect() const override {
    std::vector<MetricFamily> out;
    auto gauge = [&](std::string name, std::string help, double v, MetricType type) {
      ClientMetric m;
      if (type == MetricType::Counter) m.counter.value = v;
      else m.gauge.value = v;
      out.push_back(MetricFamily{std::move(name), std::move(help), type, {m}});
    };
    long ticks = sysconf(_SC_CLK_TCK);
    long page = sysconf(_SC_PAGESIZE);
    std::ifstream stat("/proc/self/stat");
    std::string content((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto rparen = content.rfind(')');
    if (rparen != std::string::npos) {
      std::istringstream fields(content.substr(rparen + 2));
      std::vector<std::string> f;
      for (std::string x; fields >> x;) f.push_back(x);
      // Fields after the command: state is f[0]; utime f[11], stime f[12], rss f[21].
      if (f.size() > 21) {
        double cpu = (std::stod(f[11]) + std::stod(f[12])) / static_cast<double>(ticks);
        gauge("process_cpu_seconds_total", "User and system CPU time", cpu, MetricType::Counter);
        gauge("process_resident_memory_bytes", "Resident memory",
              std::stod(f[21]) * static_cast<double>(page), MetricType::Gauge);
        gauge("process_virtual_memory_bytes", "Virtual memory", std::stod(f[20]),
              MetricType::Gauge);
      }
    }
    int fds = 0;
    if (auto* dir = opendir_count()) fds = *dir;
    gauge("process_open_fds", "Open file descriptors", fds, MetricType::Gauge);
    gauge("process_start_time_seconds", "Start time since the Unix epoch", start_time_,
          MetricType::Gauge);
    return out;
  }

 private:
  static double read_start_time() {
    return static_cast<double>(std::chrono::duration_cast<std::chrono::seconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count());
  }
  const int* opendir_count() const {
    static thread_local int count;
    count = 0;
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator("/proc/self/fd", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
      ++count;
    return &count;
  }
  double start_time_;
};

Metrics::Metrics() : registry_(std::make_shared<prometheus::Registry>()) {
  auto& r = *registry_;
  BuildGauge()
      .Name("feedpipe_build_info")
      .Help("Build and library versions")
      .Register(r)
      .Add({{"version", FEEDPIPE_VERSION},
            {"librdkafka_version", rd_kafka_version_str()},
            {"libcurl_version", curl_version_info(CURLVERSION_NOW)->version}})
      .Set(1);

  auto& requests = BuildCounter()
                       .Name("feedpipe_fetch_requests_total")
                       .Help("HTTP fetches by kind and result (ok, not_modified, error)")
                       .Register(r);
  auto& errors = BuildCounter()
                     .Name("feedpipe_fetch_errors_total")
                     .Help("Failed fetches by kind and error type")
                     .Register(r);
  auto& durations = BuildHistogram()
                        .Name("feedpipe_fetch_duration_seconds")
                        .Help("Time from request start to last byte")
                        .Register(r);
  auto& bytes = BuildCounter()
                    .Name("feedpipe_fetch_received_bytes_total")
                    .Help("Decoded body bytes received")
                    .Register(r);
  for (std::size_t k = 0; k < 2; ++k) {
    fetch_ok_[k] = &requests.Add({{"kind", s(kKinds[k])}, {"result", "ok"}});
    fetch_not_modified_[k] = &requests.Add({{"kind", s(kKinds[k])}, {"result", "not_modified"}});
    fetch_error_[k] = &requests.Add({{"kind", s(kKinds[k])}, {"result", "error"}});
    for (std::size_t c = 0; c < kErrorCodeCount; ++c)
      fetch_error_type_[k][c] =
          &errors.Add({{"kind", s(kKinds[k])}, {"error_type", s(to_string(kAllErrorCodes[c]))}});
    fetch_duration_[k] = &durations.Add({{"kind", s(kKinds[k])}}, kLatencyBuckets);
    fetch_bytes_[k] = &bytes.Add({{"kind", s(kKinds[k])}});
  }
  auto& responses = BuildCounter()
                        .Name("feedpipe_fetch_http_responses_total")
                        .Help("HTTP responses by status class")
                        .Register(r);
  for (std::size_t i = 0; i < 4; ++i)
    http_responses_[i] = &responses.Add({{"code_class", s(kCodeClasses[i])}});
  fetch_in_flight_ = &BuildGauge()
                          .Name("feedpipe_fetch_in_flight")
                          .Help("Transfers in flight")
                          .Register(r)
                          .Add({});
  auto& feeds = BuildGauge()
                    .Name("feedpipe_feeds")
                    .Help("Scheduled feeds by state (ok, backoff, failing)")
                    .Register(r);
  feeds_ok_ = &feeds.Add({{"state", "ok"}});
  feeds_backoff_ = &feeds.Add({{"state", "backoff"}});
  feeds_failing_ = &feeds.Add({{"state", "failing"}});
  schedule_lateness_ = &BuildHistogram()
                            .Name("feedpipe_schedule_lateness_seconds")
                            .Help("How late a poll started after its due time")
                            .Register(r)
                            .Add({}, kLatencyBuckets);

  auto& robots = BuildCounter()
                     .Name("feedpipe_robots_fetches_total")
                     .Help("robots.txt fetches for article pages, by outcome (parsed; unavailable: "
                           "4xx, all allowed; unreachable: 5xx or network error, all disallowed)")
                     .Register(r);
  robots_fetches_[0] = &robots.Add({{"result", "parsed"}});
  robots_fetches_[1] = &robots.Add({{"result", "unavailable"}});
  robots_fetches_[2] = &robots.Add({{"result", "unreachable"}});
  auto& robots_denied = BuildCounter()
                            .Name("feedpipe_article_robots_denied_total")
                            .Help("Article pages not fetched because of robots.txt (disallowed by its "
                                  "rules, or the file was unreachable)")
                            .Register(r);
  article_robots_denied_[0] = &robots_denied.Add({{"reason", "disallowed"}});
  article_robots_denied_[1] = &robots_denied.Add({{"reason", "unreachable"}});

  parse_duration_ = &BuildHistogram()
                         .Name("feedpipe_parse_duration_seconds")
                         .Help("Time to parse and normalise one feed document")
                         .Register(r)
                         .Add({}, kFastBuckets);
  auto& parse_errors = BuildCounter()
                           .Name("feedpipe_parse_errors_total")
                           .Help("Feed documents that could not be parsed, by error type")
                           .Register(r);
  for (std::size_t c = 0; c < kErrorCodeCount; ++c)
    parse_errors_[c] = &parse_errors.Add({{"error_type", s(to_string(kAllErrorCodes[c]))}});
  documents_bozo_ = &BuildCounter()
                         .Name("feedpipe_feed_documents_bozo_total")
                         .Help("Feed documents that were broken but recovered")
                         .Register(r)
                         .Add({});
  entries_parsed_ = &BuildCounter()
                         .Name("feedpipe_entries_parsed_total")
                         .Help("Entries parsed from feed documents")
                         .Register(r)
                         .Add({});
  items_per_poll_ = &BuildHistogram()
                         .Name("feedpipe_items_per_poll")
                         .Help("New items found per successful feed poll")
                         .Register(r)
                         .Add({}, kCountBuckets);
  entries_new_ = &BuildCounter()
                      .Name("feedpipe_entries_new_total")
                      .Help("Entries the feed had not shown before")
                      .Register(r)
                      .Add({});

  auto& published = BuildCounter()
                        .Name("feedpipe_records_published_total")
                        .Help("Records committed to Kafka, by topic")
                        .Register(r);
  for (std::size_t t = 0; t < 6; ++t)
    records_published_[t] = &published.Add({{"topic", s(kTopics[t])}});
  auto& dups = BuildCounter()
                   .Name("feedpipe_duplicates_dropped_total")
                   .Help("Items dropped as already published (feed: per-feed seen set, "
                         "global: dedup state)")
                   .Register(r);
  duplicates_feed_ = &dups.Add({{"stage", "feed"}});
  duplicates_global_ = &dups.Add({{"stage", "global"}});
  record_revisions_ = &BuildCounter()
                           .Name("feedpipe_record_revisions_total")
                           .Help("Changed items republished with a new revision")
                           .Register(r)
                           .Add({});
  updates_ignored_ = &BuildCounter()
                          .Name("feedpipe_dedup_updates_ignored_total")
                          .Help("Changed items not republished because dedup.updates is ignore")
                          .Register(r)
                          .Add({});
  dedup_state_expired_ = &BuildCounter()
                              .Name("feedpipe_dedup_state_expired_total")
                              .Help("Dedup state entries deleted after dedup.retention")
                              .Register(r)
                              .Add({});
  auto& txns = BuildCounter()
                   .Name("feedpipe_transactions_total")
                   .Help("Kafka transactions by role and result")
                   .Register(r);
  auto& txn_dur = BuildHistogram()
                      .Name("feedpipe_transaction_duration_seconds")
                      .Help("Time from begin to commit of a Kafka transaction")
                      .Register(r);
  auto& rebuilds = BuildCounter()
                       .Name("feedpipe_producer_rebuilds_total")
                       .Help("Producers destroyed and recreated after a fatal error")
                       .Register(r);
  auto& close_timeouts = BuildCounter()
                             .Name("feedpipe_consumer_close_timeouts_total")
                             .Help("Consumers that did not leave their group within the close "
                                   "timeout and were destroyed without leaving")
                             .Register(r);
  auto& in_doubt = BuildCounter()
                       .Name("feedpipe_transactions_in_doubt_total")
                       .Help("Failed commits whose outcome was open, by what Kafka said of them "
                             "once the producer was rebuilt")
                       .Register(r);
  auto& owned = BuildGauge()
                    .Name("feedpipe_owned_partitions")
                    .Help("Partitions this replica owns, by role")
                    .Register(r);
  for (std::size_t i = 0; i < 3; ++i) {
    txn_committed_[i] = &txns.Add({{"role", s(kRoles[i])}, {"result", "committed"}});
    txn_aborted_[i] = &txns.Add({{"role", s(kRoles[i])}, {"result", "aborted"}});
    txn_duration_[i] = &txn_dur.Add({{"role", s(kRoles[i])}}, kLatencyBuckets);
    producer_rebuilds_[i] = &rebuilds.Add({{"role", s(kRoles[i])}});
    consumer_close_timeouts_[i] = &close_timeouts.Add({{"role", s(kRoles[i])}});
    for (std::size_t o = 0; o < 3; ++o) {
      static constexpr std::array<std::string_view, 3> kOutcomes{"committed", "aborted", "unknown"};
      txn_in_doubt_[i][o] = &in_doubt.Add({{"role", s(kRoles[i])}, {"outcome", s(kOutcomes[o])}});
    }
    owned_partitions_[i] = &owned.Add({{"role", s(kRoles[i])}});
  }
  auto& restore = BuildCounter()
                      .Name("feedpipe_state_restore_records_total")
                      .Help("State records read while restoring owned partitions")
                      .Register(r);
  auto& pending = BuildGauge()
                      .Name("feedpipe_state_restore_partitions_pending")
                      .Help("Owned state partitions not yet restored to their end")
                      .Register(r);
  restore_records_[0] = &restore.Add({{"topic", "feed_state"}});
  restore_records_[1] = &restore.Add({{"topic", "dedup_state"}});
  restore_pending_[0] = &pending.Add({{"topic", "feed_state"}});
  restore_pending_[1] = &pending.Add({{"topic", "dedup_state"}});
  queue_depth_family_ = &BuildGauge()
                             .Name("feedpipe_queue_depth")
                             .Help("Items waiting in an internal queue")
                             .Register(r);
  queue_capacity_family_ = &BuildGauge()
                                .Name("feedpipe_queue_capacity")
                                .Help("Capacity of an internal queue")
                                .Register(r);

  auto& articles = BuildCounter()
                       .Name("feedpipe_articles_extracted_total")
                       .Help("Article pages fetched and extracted, by result")
                       .Register(r);
  articles_ok_ = &articles.Add({{"result", "ok"}});
  articles_error_ = &articles.Add({{"result", "error"}});
  extract_duration_ = &BuildHistogram()
                           .Name("feedpipe_extract_duration_seconds")
                           .Help("Time to extract the article from one page")
                           .Register(r)
                           .Add({}, kFastBuckets);
  auto& backlog = BuildGauge()
                      .Name("feedpipe_enrich_backlog")
                      .Help("Consumed entries whose page is not done: fetching (in_flight) or "
                            "queued for a slot or backing off (waiting)")
                      .Register(r);
  enrich_in_flight_ = &backlog.Add({{"state", "in_flight"}});
  enrich_waiting_ = &backlog.Add({{"state", "waiting"}});
  enrich_paused_partitions_ = &BuildGauge()
                                   .Name("feedpipe_enrich_paused_partitions")
                                   .Help("Entries partitions paused at max_pending_per_partition")
                                   .Register(r)
                                   .Add({});
  auto& retries = BuildCounter()
                      .Name("feedpipe_article_retries_total")
                      .Help("Failed page attempts that will be tried again, by error type")
                      .Register(r);
  for (std::size_t c = 0; c < kErrorCodeCount; ++c)
    article_retries_[c] = &retries.Add({{"error_type", s(to_string(kAllErrorCodes[c]))}});

  ready_ = &BuildGauge().Name("feedpipe_ready").Help("1 when /readyz answers 200").Register(r).Add({});
  reload_successful_ = &BuildGauge()
                            .Name("feedpipe_config_last_reload_successful")
                            .Help("1 when the last configuration load succeeded")
                            .Register(r)
                            .Add({});
  reload_success_time_ = &BuildGauge()
                              .Name("feedpipe_config_last_reload_success_timestamp_seconds")
                              .Help("When the configuration was last loaded successfully")
                              .Register(r)
                              .Add({});

  kafka_stats_ = std::make_shared<KafkaStatsCollector>();
  process_ = std::make_shared<ProcessCollector>();
}

prometheus::Counter& Metrics::http_responses(int status) {
  int cls = status / 100;
  if (cls < 2) cls = 2;
  if (cls > 5) cls = 5;
  return *http_responses_[static_cast<std::size_t>(cls - 2)];
}

prometheus::Counter& Metrics::restore_records(TopicLabel t) {
  return *restore_records_[t == TopicLabel::kDedupState ? 1 : 0];
}

prometheus::Gauge& Metrics::restore_partitions_pending(TopicLabel t) {
  return *restore_pending_[t == TopicLabel::kDedupState ? 1 : 0];
}

prometheus::Gauge& Metrics::queue_depth(const std::string& queue) {
  std::lock_guard lock(queue_mutex_);
  auto& g = queue_depth_[queue];
  if (!g) g = &queue_depth_family_->Add({{"queue", queue}});
  return *g;
}

prometheus::Gauge& Metrics::queue_capacity(const std::string& queue) {
  std::lock_guard lock(queue_mutex_);
  auto& g = queue_capacity_[queue];
  if (!g) g = &queue_capacity_family_->Add({{"queue", queue}});
  return *g;
}

void Metrics::set_kafka_stats(const std::string& client, const KafkaClientStats& stats) {
  kafka_stats_->set(client, stats);
}

std::string Metrics::serialize() const {
  prometheus::TextSerializer serializer;
  std::ostringstream out;
  auto families = registry_->Collect();
  for (const prometheus::Collectable* extra :
       {static_cast<const prometheus::Collectable*>(kafka_stats_.get()),
        static_cast<const prometheus::Collectable*>(process_.get())}) {
    auto more = extra->Collect();
    families.insert(families.end(), std::make_move_iterator(more.begin()),
                    std::make_move_iterator(more.end()));
  }
  serializer.Serialize(out, families);
  return out.str();
}

}  // namespace feedpipe::app
