#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <string>

#include "parser/feed_json.h"
#include "parser/feed_parser.h"

namespace feedpipe::parser {
namespace {

ParsedFeed parse(std::string_view doc, std::string base = "", std::string type = "") {
  DocumentInfo info;
  info.base_url = std::move(base);
  info.content_type = std::move(type);
  return parse_feed(doc, info);
}

TEST(ParserFeed, Rss20WithNamespacesMatchedByUri) {
  auto f = parse(R"(<?xml version="1.0"?>
<rss version="2.0" xmlns:c="http://purl.org/rss/1.0/modules/content/"
     xmlns:creator="http://purl.org/dc/elements/1.1/">
<channel><title>Harbour News</title><link>https://harbour.example/</link>
<language>en-gb</language>
<item><title>Ferry &amp; tug</title><link>/news/1?utm_source=rss</link>
<guid isPermaLink="false">n-1</guid><pubDate>Tue, 03 Jun 2025 09:30:00 +0100</pubDate>
<description>Short &lt;b&gt;summary&lt;/b&gt;</description>
<c:encoded><![CDATA[<p>Long body</p>]]></c:encoded>
<creator:creator>Ann Lee</creator:creator>
<category domain="http://harbour.example/tags">Shipping</category>
<enclosure url="https://cdn.harbour.example/a.mp3" type="audio/mpeg" length="1234"/>
</item></channel></rss>)", "https://harbour.example/feed.xml");
  EXPECT_FALSE(f.document.bozo) << f.document.bozo_reason;
  EXPECT_EQ(f.document.version, "rss20");
  EXPECT_EQ(f.feed.title, "Harbour News");
  EXPECT_EQ(f.feed.language, "en-gb");
  ASSERT_EQ(f.entries.size(), 1u);
  const Entry& e = f.entries[0];
  EXPECT_EQ(e.title, "Ferry & tug");
  EXPECT_EQ(e.link, "https://harbour.example/news/1?utm_source=rss");
  EXPECT_EQ(e.id, "n-1");
  ASSERT_TRUE(e.published.has_value());
  EXPECT_EQ(*e.published, 1748939400);
  EXPECT_EQ(e.summary_type, "text/html");
  ASSERT_EQ(e.content.size(), 1u);
  EXPECT_NE(e.content[0].value.find("Long body"), std::string::npos);
  EXPECT_EQ(e.author.name, "Ann Lee");
  ASSERT_EQ(e.categories.size(), 1u);
  EXPECT_EQ(e.categories[0].scheme, "http://harbour.example/tags");
  ASSERT_EQ(e.enclosures.size(), 1u);
  EXPECT_EQ(e.enclosures[0].length, 1234);
}

TEST(ParserFeed, Atom10XhtmlContentAndXmlBase) {
  auto f = parse(R"(<feed xmlns="http://www.w3.org/2005/Atom" xml:base="http://a.example/blog/"
 xml:lang="fr">
<title type="html">Le &lt;i&gt;blog&lt;/i&gt;</title>
<link rel="alternate" type="text/html" href="index.html"/>
<entry xml:base="posts/"><id>urn:x:1</id><title>Un</title>
<link href="one.html"/><updated>2024-02-29T23:59:59-01:00</updated>
<author><name>Zoé</name><email>z@a.example</email></author>
<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Bonjour</p></div></content>
</entry></feed>)");
  EXPECT_FALSE(f.document.bozo);
  EXPECT_EQ(f.document.version, "atom10");
  EXPECT_EQ(f.feed.link, "http://a.example/blog/index.html");
  EXPECT_EQ(f.feed.language, "fr");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].link, "http://a.example/blog/posts/one.html");
  EXPECT_EQ(*f.entries[0].updated, 1709254799);
  EXPECT_EQ(f.entries[0].author.email, "z@a.example");
  ASSERT_EQ(f.entries[0].content.size(), 1u);
  EXPECT_EQ(f.entries[0].content[0].type, "application/xhtml+xml");
  EXPECT_NE(f.entries[0].content[0].value.find("<p>Bonjour</p>"), std::string::npos);
}

TEST(ParserFeed, Rss10AndRss090) {
  auto f = parse(R"(<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>T</title></channel>
<item rdf:about="i"><title>I1</title><link>http://x.example/1</link></item></rdf:RDF>)");
  EXPECT_EQ(f.document.version, "rss10");
  ASSERT_EQ(f.entries.size(), 1u);
  auto g = parse(R"(<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"
 xmlns="http://my.netscape.com/rdf/simple/0.9/"><channel><title>T</title></channel></rdf:RDF>)");
  EXPECT_EQ(g.document.version, "rss090");
}

TEST(ParserFeed, Atom03AndCdf) {
  auto a = parse(R"(<feed version="0.3" xmlns="http://purl.org/atom/ns#"><tagline>sub</tagline>
<entry><title mode="escaped" type="text/html">&lt;b&gt;x&lt;/b&gt;</title></entry></feed>)");
  EXPECT_EQ(a.document.version, "atom03");
  EXPECT_EQ(a.feed.subtitle, "sub");
  auto c = parse(R"(<CHANNEL HREF="http://c.example/"><TITLE>Chan</TITLE>
<ITEM HREF="http://c.example/i"><TITLE>It</TITLE></ITEM></CHANNEL>)");
  EXPECT_EQ(c.document.version, "cdf");
  EXPECT_EQ(c.feed.title, "Chan");
  ASSERT_EQ(c.entries.size(), 1u);
  EXPECT_EQ(c.entries[0].link, "http://c.example/i");
}

TEST(ParserFeed, RepeatedMediaElementsKeepEveryOneInOrder) {
  // Two prefixes for the same namespace, and a namespace the parser does not know, so the
  // answer for one namespace is never reused for another.
  auto f = parse(R"(<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"
    xmlns:m="http://search.yahoo.com/mrss/" xmlns:x="http://other.example/ns"><channel>
<item><title>T</title><media:thumbnail url="/t/1.jpg" width="10"/><x:thumbnail url="/no"/>
<m:thumbnail url="https://cdn.example/2.jpg" height="20"/><media:credit role="author">Ann</media:credit>
<m:credit scheme="urn:x">Bo</m:credit></item></channel></rss>)", "https://base.example/feed");
  ASSERT_EQ(f.entries.size(), 1u);
  const auto& ext = f.entries[0].ext_json;
  ASSERT_TRUE(ext.count("media_thumbnail"));
  EXPECT_EQ(ext.at("media_thumbnail"),
            R"([{"url":"https://base.example/t/1.jpg","width":"10"},)"
            R"({"height":"20","url":"https://cdn.example/2.jpg"}])");
  ASSERT_TRUE(ext.count("media_credit"));
  EXPECT_EQ(ext.at("media_credit"),
            R"([{"content":"Ann","role":"author"},{"content":"Bo","scheme":"urn:x"}])");
  EXPECT_EQ(f.entries[0].image, "https://base.example/t/1.jpg");
}

TEST(ParserFeed, ManyNamespacesInTurnKeepTheirOwnMeaning) {
  // More namespaces than the parser keeps answers for, used in turn: an unknown namespace's
  // `title` never becomes the entry's title; Dublin Core's does under any prefix.
  std::string decls, items;
  for (int i = 0; i < 12; ++i)
    decls += " xmlns:u" + std::to_string(i) + "=\"http://unknown.example/" + std::to_string(i) + "\"";
  for (int i = 0; i < 30; ++i) {
    std::string u = "u" + std::to_string(i % 12), t = "T" + std::to_string(i);
    items += "<item><zz:title>" + t + "</zz:title><" + u + ":title>not this</" + u + ":title><" +
             u + ":link>http://no.example/</" + u + ":link></item>";
  }
  auto f = parse("<rss version=\"2.0\" xmlns:zz=\"http://purl.org/dc/elements/1.1/\"" + decls +
                 "><channel>" + items + "</channel></rss>");
  ASSERT_EQ(f.entries.size(), 30u);
  for (int i = 0; i < 30; ++i) {
    EXPECT_EQ(f.entries[i].title, "T" + std::to_string(i));
    EXPECT_EQ(f.entries[i].link, "");
  }
}

TEST(ParserFeed, ThumbnailAttributesMatchAnyCaseAndPreferTheExactName) {
  // `Url` only counts when there is no `url`; `TIME` is found whatever its case; a quote in a
  // value is escaped in the entry's JSON.
  auto f = parse(R"(<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<item><media:thumbnail Url="/first.jpg" url="/second.jpg" TIME="12:05" height='1"'/>
<media:thumbnail Url="/only.jpg"/></item></channel></rss>)", "https://base.example/feed");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].ext_json.at("media_thumbnail"),
            R"([{"height":"1\"","time":"12:05","url":"https://base.example/second.jpg"},)"
            R"({"url":"https://base.example/only.jpg"}])");
  EXPECT_EQ(f.entries[0].image, "https://base.example/second.jpg");
}

TEST(ParserFeed, MediaContentKeepsEveryAttributeAsFeedparserDoes) {
  // Names and the type lower-cased, the url resolved, keys sorted; inside media:group too.
  auto f = parse(R"(<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel>
<item><media:content URL="/v/1.mp4" Type="Video/MP4" fileSize="12" medium="video"/>
<media:group><media:content url="https://cdn.example/i.jpg?a=1&amp;b=2" medium="image"/>
</media:group></item></channel></rss>)", "https://base.example/feed");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].ext_json.at("media_content"),
            R"([{"filesize":"12","medium":"video","type":"video/mp4",)"
            R"("url":"https://base.example/v/1.mp4"},)"
            R"({"medium":"image","url":"https://cdn.example/i.jpg?a=1&b=2"}])");
  EXPECT_EQ(f.entries[0].image, "https://cdn.example/i.jpg?a=1&b=2");
}

// `levels` opening tags, `inner`, and their end tags.
std::string nested(const std::string& tag, int levels, const std::string& inner) {
  std::string s;
  for (int i = 0; i < levels; ++i) s += "<" + tag + ">";
  s += inner;
  for (int i = 0; i < levels; ++i) s += "</" + tag + ">";
  return s;
}

TEST(ParserFeed, DeeplyNestedElementsLoseTheirContentNotTheFeed) {
  // A million levels: reading a tree and freeing its nodes recursed once per level.
  auto f = parse("<rss version=\"2.0\"><channel><item><title>first</title><junk>" +
                 nested("a", 1000000, "deep") +
                 "</junk></item><item><title>second</title></item></channel></rss>");
  EXPECT_TRUE(f.document.bozo);
  EXPECT_EQ(f.document.bozo_reason, "elements nested deeper than 256 levels");
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].title, "first");
  EXPECT_EQ(f.entries[1].title, "second");
}

TEST(ParserFeed, NestingUpTo256LevelsIsKeptWhole) {
  // feed, entry, content and div are four levels; the 256th level is the last b.
  auto atom = [](int bold) {
    return parse(R"(<feed xmlns="http://www.w3.org/2005/Atom"><entry><content type="xhtml">)"
                 R"(<div xmlns="http://www.w3.org/1999/xhtml">)" +
                 nested("b", bold, "x") + "</div></content></entry></feed>");
  };
  auto count = [](const std::string& s, std::string_view what) {
    std::size_t n = 0;
    for (std::size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
    return n;
  };
  auto kept = atom(251);
  EXPECT_FALSE(kept.document.bozo) << kept.document.bozo_reason;
  ASSERT_EQ(kept.entries.size(), 1u);
  ASSERT_EQ(kept.entries[0].content.size(), 1u);
  EXPECT_EQ(count(kept.entries[0].content[0].value, "<b>"), 251u);
  EXPECT_EQ(count(kept.entries[0].content[0].value, "x"), 1u);
  auto cut = atom(252);
  EXPECT_TRUE(cut.document.bozo);
  ASSERT_EQ(cut.entries.size(), 1u);
  ASSERT_EQ(cut.entries[0].content.size(), 1u);
  EXPECT_EQ(count(cut.entries[0].content[0].value, "<b>"), 252u);
  EXPECT_EQ(count(cut.entries[0].content[0].value, "x"), 0u);
}

TEST(ParserFeed, RepairOfManyStrayEndTagsKeepsTheEntries) {
  // A hundred thousand open elements, as many end tags that match none, then the rest.
  std::string opened, stray;
  for (int i = 0; i < 100000; ++i) opened += "<a>", stray += "</b>";
  auto f = parse("<rss version=\"2.0\"><channel><item><title>one</title>" + opened + stray +
                 "</item><item><title>two</title></item></channel></rss>");
  EXPECT_TRUE(f.document.bozo);
  ASSERT_EQ(f.entries.size(), 2u);
  EXPECT_EQ(f.entries[0].title, "one");
  EXPECT_EQ(f.entries[1].title, "two");
}

TEST(ParserFeed, RepairKeepsTheFirstOfRepeatedAttributesAmongMany) {
  // The bare '&' sends the document through the repair, which drops repeated attributes;
  // past sixteen attributes it finds repeats through a set.
  std::string many;
  for (int i = 0; i < 40; ++i) many += " x" + std::to_string(i) + "=\"1\"";
  auto f = parse("<rss version=\"2.0\"><channel><item><title>a & b</title>"
                 "<enclosure url=\"/first\"" + many +
                     " url=\"/second\" type=\"audio/mpeg\" x3=\"2\"/></item></channel></rss>",
                 "https://e.example/feed");
  EXPECT_TRUE(f.document.bozo);
  ASSERT_EQ(f.entries.size(), 1u);
  ASSERT_EQ(f.entries[0].enclosures.size(), 1u);
  EXPECT_EQ(f.entries[0].enclosures[0].url, "https://e.example/first");
  EXPECT_EQ(f.entries[0].enclosures[0].type, "audio/mpeg");
}

TEST(ParserFeed, JsonFeed) {
  auto f = parse(R"({"version":"https://jsonfeed.org/version/1.1","title":"J",
 "home_page_url":"https://j.example/","items":[{"id":"7","url":"https://j.example/7",
 "content_html":"<p>hi</p>","date_published":"2021-05-06T07:08:09Z","tags":["a"],
 "attachments":[{"url":"https://j.example/a.mp3","mime_type":"audio/mpeg","size_in_bytes":9}]}]})");
  EXPECT_FALSE(f.document.fatal);
  EXPECT_EQ(f.document.version, "json11");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].id, "7");
  EXPECT_EQ(*f.entries[0].published, 1620284889);
  EXPECT_EQ(f.entries[0].enclosures.at(0).length, 9);
  EXPECT_TRUE(parse("{not json").document.fatal);
}

TEST(ParserFeed, EntitiesHtmlNamesDecodedAndBozo) {
  auto f = parse(R"(<rss version="2.0"><channel><title>caf&eacute; &hellip; &amp;</title>
</channel></rss>)");
  EXPECT_TRUE(f.document.bozo);  // HTML names are not XML
  EXPECT_EQ(f.feed.title, "caf\xC3\xA9 \xE2\x80\xA6 &");
}

TEST(ParserFeed, DeclaredEntityIsNotBozo) {
  auto f = parse(R"(<!DOCTYPE rss [<!ENTITY who "Harbour">]><rss version="2.0"><channel>
<title>&who;</title></channel></rss>)");
  EXPECT_FALSE(f.document.bozo);
  EXPECT_EQ(f.feed.title, "Harbour");
}

TEST(ParserFeed, FirstDeclarationOfAnEntityBindsAmongMany) {
  // Declared entities are found by name, however many there are.
  std::string dtd = "<!ENTITY who \"first\"><!ENTITY who \"second\">";
  for (int i = 0; i < 2000; ++i)
    dtd += "<!ENTITY e" + std::to_string(i) + " \"v" + std::to_string(i) + "\">";
  auto f = parse("<!DOCTYPE rss [" + dtd + R"(]><rss version="2.0"><channel>
<title>&who; &e1999; &e0;</title></channel></rss>)");
  EXPECT_FALSE(f.document.bozo) << f.document.bozo_reason;
  EXPECT_EQ(f.feed.title, "first v1999 v0");
}

TEST(ParserFeed, NamespaceDeclarationsInScopeAreBounded) {
  // Every prefixed name is looked up among the declarations in scope: past 256 they are
  // ignored, so the 257th prefix is undeclared.
  std::string decls;
  for (int i = 0; i < 300; ++i)
    decls += " xmlns:p" + std::to_string(i) + "=\"http://p.example/" + std::to_string(i) + "\"";
  auto f = parse("<rss version=\"2.0\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\"" + decls +
                 "><channel><item><title>x</title><dc:creator>Ann</dc:creator>"
                 "<p255:a>in</p255:a><p256:b>out</p256:b></item></channel></rss>");
  EXPECT_TRUE(f.document.bozo);
  EXPECT_EQ(f.document.bozo_reason, "more than 256 namespace declarations in scope");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].author.name, "Ann");  // declared before the limit: still read by URI
}

TEST(ParserFeed, CategoriesPerEntryAreBounded) {
  // Each new category is compared with those kept: past 512 they are dropped (bozo).
  std::string categories;
  for (int i = 0; i < 600; ++i)
    categories += "<category>c" + std::to_string(i % 550) + "</category>";
  auto f = parse("<rss version=\"2.0\"><channel><item><title>x</title>" + categories +
                 "</item></channel></rss>");
  EXPECT_TRUE(f.document.bozo);
  EXPECT_EQ(f.document.bozo_reason, "more than 512 categories on one entry or feed");
  ASSERT_EQ(f.entries.size(), 1u);
  ASSERT_EQ(f.entries[0].categories.size(), 512u);
  EXPECT_EQ(f.entries[0].categories[511].term, "c511");
  auto few = parse(R"(<rss version="2.0"><channel><item><category>a</category>
<category>a</category><category>b</category></item></channel></rss>)");
  EXPECT_FALSE(few.document.bozo);
  EXPECT_EQ(few.entries[0].categories.size(), 2u);
}

TEST(ParserFeed, BrokenXmlRecoversEveryEntry) {
  auto f = parse(R"(<rss version="2.0"><channel><title>Broken & proud</title>
<item><title>One</title><description><p>unclosed<br></description></item>
<item><title>Two</title></item>
<item><title>Three</title><link>http://b.example/3?a=1&b=2</link>)");
  EXPECT_TRUE(f.document.bozo);
  EXPECT_FALSE(f.document.fatal);
  EXPECT_EQ(f.feed.title, "Broken & proud");
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[1].title, "Two");
  EXPECT_EQ(f.entries[2].link, "http://b.example/3?a=1&b=2");
}

TEST(ParserFeed, ControlCharactersAndGarbageAfterRoot) {
  auto f = parse(std::string("<rss version=\"2.0\"><channel><title>A\x01" "B</title></channel>"
                             "</rss><junk>"));
  EXPECT_TRUE(f.document.bozo);
  EXPECT_EQ(f.feed.title, "AB");
}

TEST(ParserFeed, Windows1251Declared) {
  std::string doc = "<?xml version=\"1.0\" encoding=\"windows-1251\"?><rss version=\"2.0\">"
                    "<channel><title>\xCF\xF0\xE8\xE2\xE5\xF2</title></channel></rss>";
  auto f = parse(doc);
  EXPECT_FALSE(f.document.bozo);
  EXPECT_EQ(f.document.encoding, "windows-1251");
  EXPECT_EQ(f.feed.title, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
}

TEST(ParserFeed, Koi8rFromHttpCharset) {
  std::string doc = "<rss version=\"2.0\"><channel><title>\xF0\xD2\xC9\xD7\xC5\xD4</title>"
                    "</channel></rss>";
  auto f = parse(doc, "", "application/rss+xml; charset=KOI8-R");
  EXPECT_EQ(f.document.encoding, "koi8-r");
  EXPECT_EQ(f.feed.title, "\xD0\x9F\xD1\x80\xD0\xB8\xD0\xB2\xD0\xB5\xD1\x82");
}

TEST(ParserFeed, Utf16LittleEndianWithBom) {
  std::string ascii = "<?xml version=\"1.0\" encoding=\"utf-16\"?><feed xmlns=\"http://www.w3.org/2005/Atom\"><title>W</title></feed>";
  std::string doc = "\xFF\xFE";
  for (char c : ascii) {
    doc += c;
    doc += '\0';
  }
  auto f = parse(doc);
  EXPECT_EQ(f.document.encoding, "utf-16le");
  EXPECT_EQ(f.feed.title, "W");
}

TEST(ParserFeed, MislabelledUtf8IsReadAsUtf8) {
  std::string doc = "<?xml version=\"1.0\" encoding=\"iso-8859-1\"?><rss version=\"2.0\"><channel>"
                    "<title>caf\xC3\xA9</title></channel></rss>";
  auto f = parse(doc);
  EXPECT_EQ(f.feed.title, "caf\xC3\xA9");
  EXPECT_TRUE(f.document.bozo);
}

TEST(ParserFeed, EmptyIsFatalAndHtmlIsNotAFeed) {
  EXPECT_TRUE(parse("").document.fatal);
  EXPECT_TRUE(parse("<html><body>hi</body></html>").document.fatal);
}

TEST(ParserFeed, JsonOutputUsesNeutralNames) {
  auto f = parse(R"(<rss version="2.0"><channel><title>T</title><item><title>I</title>
<pubDate>Wed, 02 Oct 2002 13:00:00 GMT</pubDate></item></channel></rss>)");
  std::string json = feed_to_json(f);
  EXPECT_NE(json.find("\"published\":\"2002-10-02T13:00:00Z\""), std::string::npos);
  EXPECT_NE(json.find("\"version\":\"rss20\""), std::string::npos);
}

TEST(ParserFeed, CompactJsonIsTheLibrarysOwnCompactFormOfTheDocument) {
  // Characters to escape at every position of a 16-byte block, and a broken sequence.
  const std::string specials[] = {"\"", "\\", "\t", "\n", "\x01", "\x1f", "\xC3\xA9", "\x7f",
                                  "\xff"};
  ParsedFeed f;
  f.document.version = "rss20";
  f.feed.title = "Feed \"one\"";
  for (int k = 0; k < 40; ++k) {
    Entry e;
    e.title = std::string(k, 'a') + specials[k % 9] + std::string(40 - k, 'b');
    e.summary = specials[(k + 4) % 9] + std::string(k, 'c');
    e.content.push_back({std::string(3 * k, 'd') + specials[k % 9], "text/html", "", "", ""});
    f.entries.push_back(std::move(e));
  }
  const std::string compact = feed_to_json(f);
  EXPECT_EQ(compact, nlohmann::json::parse(feed_to_json(f, /*pretty=*/true)).dump());
  EXPECT_NE(compact.find("\\u0001"), std::string::npos);
}

TEST(ParserFeed, ContentLocationAndLanguageHeadersSetBaseAndLanguage) {
  DocumentInfo info;
  info.base_url = "http://fetch.example/feeds/main.xml";
  info.content_location = "/archive/2024/";  // relative: resolved against the request URI
  info.content_language = "de";
  auto f = parse_feed(R"(<rss version="2.0"><channel><title>T</title><link>front</link>
<item><link>post-7</link></item></channel></rss>)", info);
  EXPECT_FALSE(f.document.bozo) << f.document.bozo_reason;
  EXPECT_EQ(f.feed.link, "http://fetch.example/archive/2024/front");
  EXPECT_EQ(f.feed.language, "de");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].link, "http://fetch.example/archive/2024/post-7");
}

TEST(ParserFeed, XmlLangOverridesContentLanguage) {
  DocumentInfo info;
  info.content_language = "de";
  auto f = parse_feed(R"(<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr"><title>T</title>
</feed>)", info);
  EXPECT_EQ(f.feed.language, "fr");
}

TEST(ParserFeed, DivWrappingEscapedHtmlIsAWrapper) {
  auto f = parse(R"(<feed xmlns="http://www.w3.org/2005/Atom"><entry>
<content type="html"><div xmlns="http://www.w3.org/1999/xhtml">Say &lt;b&gt;hi&lt;/b&gt;</div></content>
<summary type="html"><div xmlns="http://www.w3.org/1999/xhtml"><p>real &lt;i&gt;</p></div></summary>
</entry></feed>)");
  ASSERT_EQ(f.entries.size(), 1u);
  ASSERT_EQ(f.entries[0].content.size(), 1u);
  EXPECT_EQ(f.entries[0].content[0].value, "Say <b>hi</b>");
  EXPECT_EQ(f.entries[0].content[0].type, "text/html");
  // Markup inside the div: it is inline XHTML, its text stays text.
  EXPECT_EQ(f.entries[0].summary, "<p>real &lt;i&gt;</p>");
}

TEST(ParserFeed, SanitisedHtmlIsTrimmed) {
  auto f = parse(R"(<rss version="2.0"><channel><item><description>&lt;html&gt;&lt;head&gt;
&lt;title&gt;Page&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;&lt;/head&gt;
&lt;body&gt;  &lt;p&gt;Body&lt;/p&gt;
&lt;/body&gt;&lt;/html&gt;</description></item></channel></rss>)");
  ASSERT_EQ(f.entries.size(), 1u);
  EXPECT_EQ(f.entries[0].summary, "<p>Body</p>");
}

TEST(ParserFeed, PermalinkGuidStandsInForAMissingLinkOnly) {
  auto f = parse(R"(<rss version="2.0"><channel>
<item><guid>http://a.example/1</guid></item>
<item><guid isPermaLink="true">http://a.example/2</guid><link>http://a.example/two</link></item>
<item><guid isPermaLink="false">x-3</guid></item>
</channel></rss>)");
  ASSERT_EQ(f.entries.size(), 3u);
  EXPECT_EQ(f.entries[0].link, "http://a.example/1");
  EXPECT_EQ(f.entries[0].ext.count("guidislink"), 1u);
  EXPECT_EQ(f.entries[1].link, "http://a.example/two");
  EXPECT_EQ(f.entries[1].ext.count("guidislink"), 0u);
  EXPECT_EQ(f.entries[2].link, "");
  EXPECT_EQ(f.entries[2].ext.count("guidislink"), 0u);
}

TEST(ParserFeed, NamespaceNameWithWhitespaceIsBozoButParsed) {
  auto f = parse(R"(<rss version="2.0" xmlns:m="http://a.example/
/ns/"><channel><title>T</title><m:x>1</m:x><item><title>I</title></item></channel></rss>)");
  EXPECT_TRUE(f.document.bozo);
  EXPECT_EQ(f.feed.title, "T");
  EXPECT_EQ(f.entries.size(), 1u);
  auto ok = parse(R"(<rss version="2.0" xmlns:m="http://a.example/ns/"><channel><title>T</title>
</channel></rss>)");
  EXPECT_FALSE(ok.document.bozo) << ok.document.bozo_reason;
}

TEST(ParserFeed, MacGreekAndMacTurkishAreDecodedWithTheirOwnTables) {
  auto greek = parse("<?xml version=\"1.0\" encoding=\"macgreek\"?>\n"
                     "<rss version=\"2.0\"><channel><title>\x80 \xE1</title></channel></rss>");
  EXPECT_FALSE(greek.document.bozo) << greek.document.bozo_reason;
  EXPECT_EQ(greek.feed.title, "\u00C4 \u03B1");  // Ä α
  auto turkish = parse("<?xml version=\"1.0\" encoding=\"macturkish\"?>\n"
                       "<rss version=\"2.0\"><channel><title>\xDA\xDF\x80</title></channel></rss>");
  EXPECT_EQ(turkish.feed.title, "\u011E\u015F\u00C4");  // Ğ ş Ä
}

}  // namespace
}  // namespace feedpipe::parser
