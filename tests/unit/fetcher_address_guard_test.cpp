#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include "fetcher/address_guard.h"

namespace feedpipe::fetcher {
namespace {

TEST(FetcherAddressGuard, RefusesNonPublicAddresses) {
  AddressGuard guard;
  for (const char* ip : {"127.0.0.1", "127.255.0.9", "10.1.2.3", "172.16.0.1", "172.31.255.255",
                         "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
                         "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "fd12:3456::1",
                         "ff02::1", "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254",
                         "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "::127.0.0.1"}) {
    EXPECT_FALSE(guard.allows_text(ip)) << ip;
  }
}

TEST(FetcherAddressGuard, AllowsPublicAddresses) {
  AddressGuard guard;
  for (const char* ip : {"93.184.216.34", "8.8.8.8", "172.32.0.1", "100.128.0.1", "2606:4700::1111",
                         "::ffff:93.184.216.34", "64:ff9b::808:808"}) {
    EXPECT_TRUE(guard.allows_text(ip)) << ip;
  }
  EXPECT_FALSE(guard.allows_text("not-an-ip"));
}

TEST(FetcherAddressGuard, AllowListOpensOnlyTheListedNetworks) {
  auto guard = AddressGuard::from_config({"10.0.0.0/8", "fd00::/8", "127.0.0.1"});
  ASSERT_TRUE(guard.ok());
  EXPECT_TRUE(guard->allows_text("10.200.1.1"));
  EXPECT_TRUE(guard->allows_text("::ffff:10.200.1.1"));  // v4-mapped matches the IPv4 network
  EXPECT_TRUE(guard->allows_text("fd00::5"));
  EXPECT_TRUE(guard->allows_text("127.0.0.1"));
  EXPECT_FALSE(guard->allows_text("127.0.0.2"));
  EXPECT_FALSE(guard->allows_text("192.168.0.1"));
  EXPECT_FALSE(guard->allows_text("fc00::1"));
}

TEST(FetcherAddressGuard, MalformedAllowListIsAnError) {
  EXPECT_FALSE(AddressGuard::from_config({"10.0.0.0/33"}).ok());
  EXPECT_FALSE(AddressGuard::from_config({"10.0.0/8"}).ok());
  EXPECT_FALSE(AddressGuard::from_config({"::/129"}).ok());
  EXPECT_FALSE(AddressGuard::from_config({"10.0.0.0/x"}).ok());
  EXPECT_TRUE(AddressGuard::from_config({"0.0.0.0/0"}).ok());
}

TEST(FetcherAddressGuard, ChecksSocketAddressesOfBothFamilies) {
  AddressGuard guard;
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  inet_pton(AF_INET, "192.168.0.10", &v4.sin_addr);
  EXPECT_FALSE(guard.allows(reinterpret_cast<const sockaddr*>(&v4)));
  inet_pton(AF_INET, "1.1.1.1", &v4.sin_addr);
  EXPECT_TRUE(guard.allows(reinterpret_cast<const sockaddr*>(&v4)));
  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  inet_pton(AF_INET6, "::ffff:192.168.0.10", &v6.sin6_addr);
  EXPECT_FALSE(guard.allows(reinterpret_cast<const sockaddr*>(&v6)));
  inet_pton(AF_INET6, "2606:4700::1111", &v6.sin6_addr);
  EXPECT_TRUE(guard.allows(reinterpret_cast<const sockaddr*>(&v6)));
}

}  // namespace
}  // namespace feedpipe::fetcher
