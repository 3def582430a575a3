#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace feedpipe {

// RFC 3986 reference resolution. Returns `ref` unchanged when it is already absolute, and
// `ref` when `base` is empty or not absolute.
std::string resolve_url(std::string_view base, std::string_view ref);
// The same into `out`, whose buffer is reused; `base` and `ref` must not point into `out`.
void resolve_url(std::string_view base, std::string_view ref, std::string& out);

// Canonical form of an absolute http(s) URL for identity (DESIGN.md section 3): lower-case
// scheme and host, default port and fragment dropped, tracking parameters dropped,
// percent-encoding normalised, empty path -> "/". Non-http(s) input comes back trimmed.
std::string canonicalize_url(std::string_view url);
std::string canonicalize_url(std::string_view url, const std::vector<std::string>& drop_params);

// Tracking parameters dropped by default (entries ending in '*' are prefixes).
const std::vector<std::string>& default_tracking_params();

// Host part of an absolute URL, lower-cased; empty when there is none.
std::string url_host(std::string_view url);

}  // namespace feedpipe
