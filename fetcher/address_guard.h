#pragma once

// SSRF guard for article fetches: which socket addresses a fetch may connect to. Checked on
// the address curl is about to connect to (after DNS), so a name that resolves to a private
// address, or re-resolves to one later (DNS rebinding), is refused all the same.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"

struct sockaddr;

namespace feedpipe::fetcher {

// An IPv4 or IPv6 network. IPv4 is stored as ::ffff:a.b.c.d/96+len so one comparison serves
// both families and v4-mapped IPv6 addresses match IPv4 networks.
struct Cidr {
  std::array<std::uint8_t, 16> addr{};
  int prefix_len = 0;  // over the 128-bit form
};

Result<Cidr> parse_cidr(std::string_view text);

// The 16-byte form of an address (IPv4 and IPv4-compatible forms mapped to ::ffff:a.b.c.d).
bool to_v6_bytes(const struct sockaddr* sa, std::array<std::uint8_t, 16>* out);
bool parse_ip(std::string_view text, std::array<std::uint8_t, 16>* out);

bool cidr_contains(const Cidr& net, const std::array<std::uint8_t, 16>& addr);

// Loopback, private (RFC 1918, ULA, CGNAT), link-local, multicast, unspecified, broadcast,
// reserved, and the same embedded in NAT64 / 6to4 forms.
bool is_non_public(const std::array<std::uint8_t, 16>& addr);

class AddressGuard {
 public:
  explicit AddressGuard(std::vector<Cidr> allowed = {}) : allowed_(std::move(allowed)) {}
  // Parses the configured allow-list; the first malformed entry is an error.
  static Result<AddressGuard> from_config(const std::vector<std::string>& cidrs);

  bool allows(const std::array<std::uint8_t, 16>& addr) const;
  bool allows(const struct sockaddr* sa) const;
  bool allows_text(std::string_view ip) const;

 private:
  std::vector<Cidr> allowed_;
};

}  // namespace feedpipe::fetcher
