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
}

TEST(Url, Host) {
  EXPECT_EQ(url_host("https://user@News.Example.com:8443/x"), "news.example.com");
  EXPECT_EQ(url_host("not a url"), "");
}

}  // namespace
}  // namespace feedpipe
