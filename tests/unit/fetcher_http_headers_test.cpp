#include <gtest/gtest.h>

#include "fetcher/http_headers.h"

namespace feedpipe::fetcher {
namespace {

using namespace std::chrono_literals;

constexpr std::int64_t kDate = 1445412480;  // Wed, 21 Oct 2015 07:28:00 GMT

TEST(FetcherHttpHeaders, ParsesTheThreeHttpDateForms) {
  EXPECT_EQ(parse_http_date("Wed, 21 Oct 2015 07:28:00 GMT"), kDate);
  EXPECT_EQ(parse_http_date("Wednesday, 21-Oct-15 07:28:00 GMT"), kDate);
  EXPECT_EQ(parse_http_date("Wed Oct 21 07:28:00 2015"), kDate);
  EXPECT_FALSE(parse_http_date("soon").has_value());
  EXPECT_FALSE(parse_http_date("").has_value());
}

TEST(FetcherHttpHeaders, RetryAfterInSecondsOrAsDate) {
  EXPECT_EQ(parse_retry_after("120", kDate), 120s);
  EXPECT_EQ(parse_retry_after(" 0 ", kDate), 0s);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:38:00 GMT", kDate), 10min);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", kDate), 0s);  // in the past
  EXPECT_FALSE(parse_retry_after("-5", kDate).has_value());
  EXPECT_FALSE(parse_retry_after("12abc", kDate).has_value());
  EXPECT_FALSE(parse_retry_after("", kDate).has_value());
}

TEST(FetcherHttpHeaders, FreshnessFromMaxAgeThenExpires) {
  EXPECT_EQ(freshness("public, max-age=3600", "", kDate), 1h);
  EXPECT_EQ(freshness("max-age=\"60\", must-revalidate", "", kDate), 60s);
  EXPECT_EQ(freshness("max-age=600", "Wed, 21 Oct 2015 09:28:00 GMT", kDate), 10min);  // max-age wins
  EXPECT_EQ(freshness("", "Wed, 21 Oct 2015 09:28:00 GMT", kDate), 2h);
  EXPECT_EQ(freshness("", "0", kDate), 0s);  // invalid Expires: already stale
  EXPECT_FALSE(freshness("no-cache, max-age=600", "", kDate).has_value());
  EXPECT_FALSE(freshness("", "", kDate).has_value());
}

}  // namespace
}  // namespace feedpipe::fetcher
