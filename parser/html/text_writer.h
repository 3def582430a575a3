#pragma once

// The text writer behind write_text (tree) and stream_html_to_text (streaming): collapsed
// whitespace, and breaks between blocks written only when more text follows, so output
// never starts or ends with whitespace. Internal to parser/html.

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace feedpipe::parser::html {

class TextWriter {
 public:
  // `keep_nbsp`: no-break spaces inside words stay as they are (a word of nothing but
  // no-break spaces still counts as a space); otherwise they are whitespace.
  TextWriter(std::string& out, bool paragraphs, bool keep_nbsp = false)
      : out_(out), paragraphs_(paragraphs), keep_nbsp_(keep_nbsp), start_(out.size()) {}

  // `preformatted` (inside <pre>): line breaks are kept.
  void text(std::string_view s, bool preformatted = false) {
    std::size_t i = 0;
    const std::size_t n = s.size();
    while (i < n) {
      if (preformatted && s[i] == '\n') {
        line_break();
        ++i;
        continue;
      }
      std::size_t ws = whitespace_at(s, i);
      if (ws > 0) {
        space_ = true;
        i += ws;
        continue;
      }
      // A run of words separated by single spaces is written in one piece: between them
      // word() would write exactly that space.
      std::size_t j = i;
      bool by_word = false;  // a soft hyphen or a kept no-break space: word by word
      while (true) {
        j = skip_plain_blocks(s, j);
        while (j < n && !kWordStop[static_cast<unsigned char>(s[j])]) ++j;
        if (j + 1 < n && s[j] == ' ' && !kWordStop[static_cast<unsigned char>(s[j + 1])]) {
          j += 2;  // one space, then a byte that cannot end a word
          continue;
        }
        if (j + 1 < n && s[j] == '\xC2' && (s[j + 1] != '\xA0' || keep_nbsp_)) {
          by_word = by_word || s[j + 1] == '\xAD' || s[j + 1] == '\xA0';
          ++j;
          continue;
        }
        if (j + 1 < n && s[j] == ' ' && whitespace_at(s, j + 1) == 0) {
          ++j;  // one space, then 0xC2 that is not whitespace
          continue;
        }
        if (j + 1 == n && s[j] == '\xC2') ++j;
        break;
      }
      std::string_view run = s.substr(i, j - i);
      i = j;
      if (!by_word) {
        word(run);
        continue;
      }
      std::size_t k = 0;
      while (k < run.size()) {
        std::size_t sp = run.find(' ', k);
        if (sp == std::string_view::npos) sp = run.size();
        if (k > 0) space_ = true;
        word(run.substr(k, sp - k));
        k = sp + 1;
      }
    }
  }

  void block_break() {
    if (paragraphs_) breaks_ = 2;
    space_ = true;
  }
  void line_break() {
    if (paragraphs_) breaks_ = std::max(breaks_, 1);
    space_ = true;
  }
  void space() { space_ = true; }

 private:
  std::size_t whitespace_at(std::string_view s, std::size_t i) const {
    const char c = s[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v') return 1;
    if (!keep_nbsp_ && c == '\xC2' && i + 1 < s.size() && s[i + 1] == '\xA0') return 2;
    return 0;
  }

  // Skips 16-byte blocks made only of word bytes and single spaces that a word byte
  // follows: text() would take each of them into the run byte by byte. Returns where the
  // byte loop must go on.
  static std::size_t skip_plain_blocks(std::string_view s, std::size_t j) {
#if defined(__SSE2__)
    const __m128i space = _mm_set1_epi8(' ');
    const __m128i c2 = _mm_set1_epi8(static_cast<char>(0xC2));
    const __m128i tab = _mm_set1_epi8('\t');
    const __m128i four = _mm_set1_epi8(4);
    while (j + 16 <= s.size()) {
      __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s.data() + j));
      __m128i off = _mm_sub_epi8(b, tab);  // \t \n \v \f \r -> 0..4
      __m128i ws = _mm_cmpeq_epi8(_mm_min_epu8(off, four), off);
      unsigned other =
          static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(ws, _mm_cmpeq_epi8(b, c2))));
      unsigned sp = static_cast<unsigned>(_mm_movemask_epi8(_mm_cmpeq_epi8(b, space)));
      if (other != 0 || (sp & (sp >> 1)) != 0) break;
      // A space in the last byte belongs to the run when a word byte follows the block.
      if ((sp & 0x8000u) != 0 &&
          (j + 16 >= s.size() || kWordStop[static_cast<unsigned char>(s[j + 16])]))
        break;
      j += 16;
    }
#endif
    return j;
  }

  // Bytes that may end a word: ASCII whitespace, and 0xC2 (NBSP and the soft hyphen).
  static constexpr auto kWordStop = [] {
    std::array<bool, 256> t{};
    t[' '] = t['\t'] = t['\n'] = t['\r'] = t['\f'] = t['\v'] = t[0xC2] = true;
    return t;
  }();

  void word(std::string_view w) {
    if (keep_nbsp_ && !w.empty() && w.size() % 2 == 0) {
      bool only_nbsp = true;
      for (std::size_t k = 0; only_nbsp && k < w.size(); k += 2) {
        only_nbsp = w[k] == '\xC2' && w[k + 1] == '\xA0';
      }
      if (only_nbsp) {
        space_ = true;
        return;
      }
    }
    if (out_.size() > start_) {
      if (breaks_ == 2) out_ += "\n\n";
      else if (breaks_ == 1) out_ += '\n';
      else if (space_) out_ += ' ';
    }
    breaks_ = 0;
    space_ = false;
    // Soft hyphens are invisible unless a line breaks there; text consumers never want them.
    if (w.find('\xC2') == std::string_view::npos) {
      out_.append(w);
      return;
    }
    for (std::size_t shy = w.find("\xC2\xAD"); shy != std::string_view::npos;
         shy = w.find("\xC2\xAD")) {
      out_.append(w.substr(0, shy));
      w.remove_prefix(shy + 2);
    }
    out_.append(w);
  }

  std::string& out_;
  bool paragraphs_;
  bool keep_nbsp_;
  std::size_t start_;
  int breaks_ = 0;
  bool space_ = false;
};

}  // namespace feedpipe::parser::html
