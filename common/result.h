#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace feedpipe {

// The closed list of things that go wrong on the data path. Each value doubles as the
// `error_type` label of the error metrics, so the list stays short and stable.
enum class ErrorCode {
  kDns,
  kConnect,
  kTimeout,
  kTls,
  kHttpStatus,
  kRateLimited,
  kTooLarge,
  kDecompress,
  kRedirect,
  kBlockedAddress,
  kRobotsDisallowed,  // robots.txt forbids the page: permanent, never retried
  kParse,
  kEncoding,
  kKafka,
  kKafkaFatal,
  kConfig,
  kIo,
  kInternal,
};

inline constexpr ErrorCode kAllErrorCodes[] = {
    ErrorCode::kDns,        ErrorCode::kConnect,        ErrorCode::kTimeout,
    ErrorCode::kTls,        ErrorCode::kHttpStatus,     ErrorCode::kRateLimited,
    ErrorCode::kTooLarge,   ErrorCode::kDecompress,     ErrorCode::kRedirect,
    ErrorCode::kBlockedAddress, ErrorCode::kRobotsDisallowed, ErrorCode::kParse,
    ErrorCode::kEncoding,
    ErrorCode::kKafka,      ErrorCode::kKafkaFatal,     ErrorCode::kConfig,
    ErrorCode::kIo,         ErrorCode::kInternal,
};

// Stable snake_case name, used as metric label and in logs.
std::string_view to_string(ErrorCode code);

struct Error {
  ErrorCode code = ErrorCode::kInternal;
  std::string message;
  bool retriable = false;
};

// A value or an Error. Small on purpose: std::expected is C++23.
template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}          // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}      // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  explicit operator bool() const { return ok(); }

  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const { return std::get<Error>(v_); }

 private:
  std::variant<T, Error> v_;
};

// For operations that return nothing but may fail.
struct Ok {};
using Status = Result<Ok>;

}  // namespace feedpipe
