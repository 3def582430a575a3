#include "common/result.h"

namespace feedpipe {

std::string_view to_string(ErrorCode code) {
  switch (code) {
    case ErrorCode::kDns: return "dns";
    case ErrorCode::kConnect: return "connect";
    case ErrorCode::kTimeout: return "timeout";
    case ErrorCode::kTls: return "tls";
    case ErrorCode::kHttpStatus: return "http_status";
    case ErrorCode::kRateLimited: return "rate_limited";
    case ErrorCode::kTooLarge: return "too_large";
    case ErrorCode::kDecompress: return "decompress";
    case ErrorCode::kRedirect: return "redirect";
    case ErrorCode::kBlockedAddress: return "blocked_address";
    case ErrorCode::kRobotsDisallowed: return "robots_disallowed";
    case ErrorCode::kParse: return "parse";
    case ErrorCode::kEncoding: return "encoding";
    case ErrorCode::kKafka: return "kafka";
    case ErrorCode::kKafkaFatal: return "kafka_fatal";
    case ErrorCode::kConfig: return "config";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

}  // namespace feedpipe
