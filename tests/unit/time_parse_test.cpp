#include <gtest/gtest.h>

#include "common/time.h"

namespace feedpipe {
namespace {

TEST(TimeParse, Rfc822Forms) {
  EXPECT_EQ(parse_date("Tue, 03 Jun 2025 09:30:00 +0100"), 1748939400);
  EXPECT_EQ(parse_date("Tue, 03 Jun 2025 08:30:00 GMT"), 1748939400);
  EXPECT_EQ(parse_date("03 Jun 2025 04:30:00 EDT"), 1748939400);
  EXPECT_EQ(parse_date("Tue, 3 Jun 25 08:30 UT"), 1748939400);
  EXPECT_EQ(parse_date("Tuesday, 03-Jun-25 08:30:00 GMT"), 1748939400);
}

TEST(TimeParse, IsoAndW3cdtf) {
  EXPECT_EQ(parse_date("2025-06-03T08:30:00Z"), 1748939400);
  EXPECT_EQ(parse_date("2025-06-03T10:30:00.123+02:00"), 1748939400);
  EXPECT_EQ(parse_date("2025-06-03"), 1748908800);
  EXPECT_EQ(parse_date("2025-06"), 1748736000);
  EXPECT_EQ(parse_date("20250603T083000Z"), 1748939400);
}

TEST(TimeParse, AsctimeAndZoneNames) {
  EXPECT_EQ(parse_date("Tue Jun  3 08:30:00 2025"), 1748939400);
  EXPECT_EQ(parse_date("Tue, 03 Jun 2025 01:30:00 PDT"), 1748939400);
  EXPECT_EQ(parse_date("Tue, 03 Jun 2025 10:30:00 CEST"), 1748939400);
}

TEST(TimeParse, MonthAndZoneNamesInAnyCase) {
  EXPECT_EQ(parse_date("tue, 03 JUN 2025 01:30:00 pdt"), 1748939400);
  EXPECT_EQ(parse_date("Tue, 03 jUn 2025 10:30:00 Cest"), 1748939400);
  EXPECT_EQ(parse_date("Tue, 03 Jun 2025 10:30:00 Etc/Cest"), 1748939400);
  EXPECT_EQ(parse_date("Tue, 03 Jun 2025 10:30:00 gmt+02:00"), 1748939400);
  EXPECT_EQ(parse_date("Tue, 03 Jun 2025 03:30:00 utc-5"), 1748939400);
  EXPECT_EQ(parse_date("03-jun-2025 08:30:00 z"), 1748939400);
  // A zone name is a whole word: neither a longer word nor a prefix of one is a zone.
  EXPECT_EQ(parse_date("Tue, 03 Jun 2025 08:30:00 PDTX"), 1748939400);
  EXPECT_EQ(parse_date("Tue, 03 Jun 2025 08:30:00 PD"), 1748939400);
  EXPECT_FALSE(parse_date("03 Ju 2025 08:30:00"));
}

TEST(TimeParse, UnparseableIsNullopt) {
  EXPECT_FALSE(parse_date(""));
  EXPECT_FALSE(parse_date("yesterday"));
  EXPECT_FALSE(parse_date("2025-13-45"));
  EXPECT_FALSE(parse_date("Feb 30 2025"));
}

TEST(TimeParse, FormatRfc3339) {
  EXPECT_EQ(format_rfc3339(1748939400), "2025-06-03T08:30:00Z");
}

}  // namespace
}  // namespace feedpipe
