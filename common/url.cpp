#include "common/url.h"

namespace feedpipe {

std::string resolve_url(std::string_view base, std::string_view ref) {
  (void)base;
  return std::string(ref);
}

const std::vector<std::string>& default_tracking_params() {
  static const std::vector<std::string> kParams = {
      "utm_*", "fbclid", "gclid", "dclid", "msclkid", "mc_cid", "mc_eid", "yclid",
      "_hsenc", "_hsmi", "igshid", "mkt_tok", "oly_anon_id", "oly_enc_id", "vero_id",
      "wt_mc", "ref_src"};
  return kParams;
}

std::string canonicalize_url(std::string_view url) {
  return canonicalize_url(url, default_tracking_params());
}

std::string canonicalize_url(std::string_view url, const std::vector<std::string>&) {
  return std::string(url);
}

std::string url_host(std::string_view url) {
  auto p = url.find("://");
  if (p == std::string_view::npos) return {};
  auto rest = url.substr(p + 3);
  auto end = rest.find_first_of("/?#");
  return std::string(rest.substr(0, end));
}

}  // namespace feedpipe
