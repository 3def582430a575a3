#include "bench/parse/feed_generator.h"

#include <cstdint>

namespace feedpipe::bench {
namespace {

constexpr const char* kWords[] = {
    "harbour", "council", "minister", "election", "storm", "market", "shipping", "report",
    "weather", "budget", "school", "hospital", "railway", "festival", "energy", "river",
    "court", "police", "football", "museum", "village", "bridge", "airport", "factory"};
constexpr const char* kCyrillic[] = {"\xCD\xEE\xE2\xEE\xF1\xF2\xE8", "\xEF\xEE\xF0\xF2",
                                     "\xEC\xE8\xED\xE8\xF1\xF2\xF0", "\xE2\xFB\xE1\xEE\xF0\xFB"};

struct Rng {
  std::uint64_t s = 0x9E3779B97F4A7C15ULL;
  std::uint32_t next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return static_cast<std::uint32_t>(s);
  }
};

void words(std::string& out, Rng& rng, int n, Charset cs) {
  for (int i = 0; i < n; ++i) {
    if (i) out += ' ';
    if (cs == Charset::kWindows1251 && rng.next() % 3 == 0) out += kCyrillic[rng.next() % 4];
    else out += kWords[rng.next() % (sizeof kWords / sizeof *kWords)];
  }
}

}  // namespace

std::string make_news_feed(std::size_t target_bytes, Charset charset) {
  Rng rng;
  std::string out;
  out.reserve(target_bytes + 8192);
  out += charset == Charset::kUtf8 ? "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n"
                                   : "<?xml version=\"1.0\" encoding=\"windows-1251\"?>\n";
  out +=
      "<rss version=\"2.0\" xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"\n"
      " xmlns:dc=\"http://purl.org/dc/elements/1.1/\" xmlns:atom=\"http://www.w3.org/2005/Atom\"\n"
      " xmlns:media=\"http://search.yahoo.com/mrss/\" xmlns:slash=\"http://purl.org/rss/1.0/modules/slash/\">\n"
      "<channel><title>Harbour Daily &amp; Evening News</title><link>https://news.example/</link>\n"
      "<atom:link href=\"https://news.example/rss\" rel=\"self\" type=\"application/rss+xml\"/>\n"
      "<description>All the news from the harbour</description><language>en</language>\n";
  int n = 0;
  while (out.size() + 600 < target_bytes || n == 0) {
    ++n;
    out += "<item><title>";
    words(out, rng, 8, charset);
    out += " &amp; more</title>\n<link>https://news.example/story/";
    out += std::to_string(n);
    out += "?utm_source=rss&amp;utm_medium=feed</link>\n<guid isPermaLink=\"false\">story-";
    out += std::to_string(n);
    out += "</guid>\n<pubDate>Tue, 0";
    out += std::to_string(1 + n % 9);
    out += " Jun 2025 0";
    out += std::to_string(n % 10);
    out += ":30:00 +0100</pubDate>\n<dc:creator>Reporter ";
    out += std::to_string(n % 17);
    out += "</dc:creator><category>";
    words(out, rng, 1, charset);
    out += "</category>\n<description>";
    words(out, rng, 30, charset);
    out += " &#8212; &lt;b&gt;read more&lt;/b&gt;</description>\n<content:encoded><![CDATA[";
    int paragraphs = 3 + static_cast<int>(rng.next() % 6);
    for (int p = 0; p < paragraphs; ++p) {
      out += "<p>";
      words(out, rng, 60, charset);
      out += " <a href=\"/related/";
      out += std::to_string(rng.next() % 1000);
      out += "\">related</a> &nbsp;&ldquo;quoted&rdquo;</p>";
    }
    out += "<img src=\"https://cdn.news.example/i/";
    out += std::to_string(n);
    out += ".jpg\" alt=\"\"/>]]></content:encoded>\n";
    out += "<media:thumbnail url=\"https://cdn.news.example/t/";
    out += std::to_string(n);
    out += ".jpg\" width=\"320\" height=\"180\"/><slash:comments>";
    out += std::to_string(rng.next() % 50);
    out += "</slash:comments>\n<enclosure url=\"https://cdn.news.example/a/";
    out += std::to_string(n);
    out += ".mp3\" type=\"audio/mpeg\" length=\"123456\"/></item>\n";
  }
  out += "</channel></rss>\n";
  return out;
}

}  // namespace feedpipe::bench
