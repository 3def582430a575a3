#include <gtest/gtest.h>

#include "parser/text.h"

namespace feedpipe::parser {
namespace {

TEST(ParserText, NfcComposesCombiningMarks) {
  EXPECT_EQ(nfc("Cafe\xCC\x81"), "Caf\xC3\xA9");
  EXPECT_EQ(nfc("\xE2\x84\xAB"), "\xC3\x85");  // ANGSTROM SIGN -> A with ring
  EXPECT_EQ(nfc("\xD0\x9F\xD1\x80\xD0\xB8 \xE2\x80\x9Cq\xE2\x80\x9D"),
            "\xD0\x9F\xD1\x80\xD0\xB8 \xE2\x80\x9Cq\xE2\x80\x9D");
}

TEST(ParserText, DecodeReferences) {
  std::string out;
  EntityIssues issues;
  decode_references("a &amp; &#233; &#x41; &hellip; & b", out, nullptr, &issues);
  EXPECT_EQ(out, "a & \xC3\xA9 A \xE2\x80\xA6 & b");
  EXPECT_TRUE(issues.undefined_entity);
  EXPECT_TRUE(issues.bare_ampersand);
}

TEST(ParserText, HtmlEntityTable) {
  EXPECT_EQ(html_entity("nbsp"), "\xC2\xA0");
  EXPECT_EQ(html_entity("NotNestedGreaterGreater"), "\xE2\xAA\xA2\xCC\xB8");
  EXPECT_TRUE(html_entity("nosuchentity").empty());
}

TEST(ParserText, Utf8Validation) {
  EXPECT_TRUE(valid_utf8("plain ascii text and \xC3\xA9"));
  EXPECT_FALSE(valid_utf8("\xC3"));
  EXPECT_FALSE(valid_utf8("\xED\xA0\x80"));  // surrogate
  EXPECT_FALSE(valid_utf8("\xC0\xAF"));      // overlong
}

}  // namespace
}  // namespace feedpipe::parser
