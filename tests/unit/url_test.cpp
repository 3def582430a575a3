#include <gtest/gtest.h>

#include "common/url.h"

namespace feedpipe {
namespace {

TEST(Url, ResolveRfc3986Examples) {
  const char* base = "http://a/b/c/d;p?q";
  EXPECT_EQ(resolve_url(base, "g"), "http://a/b/c/g");
  EXPECT_EQ(resolve_url(base, "./g"), "http://a/b/c/g");
  EXPECT_EQ(resolve_url(base, "g/"), "http://a/b/c/g/");
  EXPECT_EQ(resolve_url(base, "/g"), "http://a/g");
  EXPECT_EQ(resolve_url(base, "//g"), "http://g");
  EXPECT_EQ(resolve_url(base, "?y"), "http://a/b/c/d;p?y");
  EXPECT_EQ(resolve_url(base, "#s"), "http://a/b/c/d;p?q#s");
  EXPECT_EQ(resolve_url(base, ""), "http://a/b/c/d;p?q");
  EXPECT_EQ(resolve_url(base, ".."), "http://a/b/");
  EXPECT_EQ(resolve_url(base, "../../../g"), "http://a/g");
  EXPECT_EQ(resolve_url(base, "g;x=1/../y"), "http://a/b/c/y");
  EXPECT_EQ(resolve_url(base, "https://x/y"), "https://x/y");
  EXPECT_EQ(resolve_url("", "rel/x"), "rel/x");
}

TEST(Url, Canonicalize) {
  EXPECT_EQ(canonicalize_url("HTTP://News.Example.COM:80"), "http://news.example.com/");
  EXPECT_EQ(canonicalize_url("https://e.com:443/a/./b/../c?utm_source=rss&id=7&fbclid=x#top"),
            "https://e.com/a/c?id=7");
  EXPECT_EQ(canonicalize_url("https://e.com/%7euser/a%2fb?q=%e2%82%ac"),
            "https://e.com/~user/a%2Fb?q=%E2%82%AC");
  EXPECT_EQ(canonicalize_url("https://e.com/?utm_campaign=x"), "https://e.com/");
  EXPECT_EQ(canonicalize_url("http://e.com:8080/x"), "http://e.com:8080/x");
  EXPECT_EQ(canonicalize_url("https://e.com/a?keep=1&drop=2", {"drop"}), "https://e.com/a?keep=1");
  EXPECT_EQ(canonicalize_url(" mailto:a@b "), "mailto:a@b");
  // A '%' without two hex digits after it is encoded itself; upper- and lower-case hex.
  EXPECT_EQ(canonicalize_url("https://e.com/a%zz%4F%4"), "https://e.com/a%25zzO%254");
  EXPECT_EQ(canonicalize_url("https://e.com/%C3%a9?x=%aB"), "https://e.com/%C3%A9?x=%AB");
  // Dot segments that only decoding reveals are removed too.
  EXPECT_EQ(canonicalize_url("https://e.com/a/b/%2E%2e/c/%2e/d"), "https://e.com/a/c/d");
  // User info is kept as written; the host loses its trailing dots and a default port.
  EXPECT_EQ(canonicalize_url("HTTPS://Me:Pw@E.Com..:443/x"), "https://Me:Pw@e.com/x");
  EXPECT_EQ(canonicalize_url("http://[::1]:80/x"), "http://[::1]/x");
  EXPECT_EQ(canonicalize_url("http://[::1]:8080"), "http://[::1]:8080/");
  EXPECT_EQ(canonicalize_url("https://e.com/?utm_a=1&&b=2&utm_c=3&c"), "https://e.com/?b=2&c");
  // A default port written again and again goes in one call, and the result stays put.
  const std::string repeated = canonicalize_url("https://H:443:443:443:443:443:443:443/x");
  EXPECT_EQ(repeated, "https://h/x");
  EXPECT_EQ(canonicalize_url(repeated), repeated);
  EXPECT_EQ(canonicalize_url("https://h.:4:443/"), "https://h:4/");
  EXPECT_EQ(canonicalize_url("http://h:443:80:80"), "http://h:443/");
  // A scheme is letters first, then letters, digits, '+', '-' or '.'; anything else is a path.
  EXPECT_EQ(resolve_url("https://e.com/d/", "svn+ssh2:x"), "svn+ssh2:x");
  EXPECT_EQ(resolve_url("https://e.com/d/", "2x:y"), "https://e.com/d/2x:y");
  EXPECT_EQ(resolve_url("https://e.com/d/", "\xC3\xA9:y"), "https://e.com/d/\xC3\xA9:y");
}

TEST(Url, Host) {
  EXPECT_EQ(url_host("https://user@News.Example.com:8443/x"), "news.example.com");
  EXPECT_EQ(url_host("not a url"), "");
}

}  // namespace
}  // namespace feedpipe
