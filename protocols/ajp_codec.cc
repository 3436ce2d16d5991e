#include "protocols/ajp_codec.h"

#include <algorithm>

namespace shoal::protocols::ajp {

uint8_t Reader::Byte() {
  if (data_.empty()) {
    failed_ = true;
    return 0;
  }
  auto value = static_cast<uint8_t>(data_[0]);
  data_.remove_prefix(1);
  return value;
}

uint16_t Reader::Uint16() {
  if (data_.size() < 2) {
    failed_ = true;
    data_ = {};
    return 0;
  }
  auto value = static_cast<uint16_t>(static_cast<uint8_t>(data_[0]) << 8 |
                                     static_cast<uint8_t>(data_[1]));
  data_.remove_prefix(2);
  return value;
}

std::optional<std::string_view> Reader::String() {
  uint16_t length = Uint16();
  if (failed_ || length == 0xFFFF) return std::nullopt;
  if (data_.size() < size_t{length} + 1 || data_[length] != '\0') {
    failed_ = true;
    data_ = {};
    return std::nullopt;
  }
  std::string_view value = data_.substr(0, length);
  data_.remove_prefix(size_t{length} + 1);
  return value;
}

PacketBuilder& PacketBuilder::Byte(uint8_t value) {
  out_.push_back(static_cast<char>(value));
  return *this;
}

PacketBuilder& PacketBuilder::Uint16(uint16_t value) {
  out_.push_back(static_cast<char>(value >> 8));
  out_.push_back(static_cast<char>(value & 0xff));
  return *this;
}

PacketBuilder& PacketBuilder::String(std::string_view value) {
  Uint16(static_cast<uint16_t>(value.size()));
  out_.append(value);
  out_.push_back('\0');
  return *this;
}

PacketBuilder& PacketBuilder::Bytes(std::string_view value) {
  out_.append(value);
  return *this;
}

size_t PacketBuilder::Finish() {
  size_t payload = out_.size() - start_ - kHeaderSize;
  out_[start_ + 2] = static_cast<char>(payload >> 8);
  out_[start_ + 3] = static_cast<char>(payload & 0xff);
  return payload;
}

void EncodeBodyChunkPrefix(char (&out)[kBodyChunkPrefix], size_t length) {
  size_t payload = length + 4;  // type, data length, data, NUL
  out[0] = 'A';
  out[1] = 'B';
  out[2] = static_cast<char>(payload >> 8);
  out[3] = static_cast<char>(payload & 0xff);
  out[4] = static_cast<char>(kSendBodyChunk);
  out[5] = static_cast<char>(length >> 8);
  out[6] = static_cast<char>(length & 0xff);
}

void AppendBodyChunks(std::string& out, std::string_view data, size_t max_data) {
  while (!data.empty()) {
    std::string_view piece = data.substr(0, std::min(data.size(), max_data));
    char prefix[kBodyChunkPrefix];
    EncodeBodyChunkPrefix(prefix, piece.size());
    out.append(prefix, sizeof(prefix));
    out.append(piece);
    out.push_back('\0');  // Apache answers 503 without this NUL
    data.remove_prefix(piece.size());
  }
}

}  // namespace shoal::protocols::ajp
