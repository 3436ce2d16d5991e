// AJP13 wire encoding: the data types and the container's messages.
//
// Web server → container packets start 0x12 0x34, container → web server
// packets "AB" (0x41 0x42); then a big-endian uint16 payload length, then
// the payload. Strings are a uint16 length, the bytes and a NUL; length
// 0xFFFF is a null string. (Apache's modules/proxy/ajp.h; Tomcat's
// AjpMessage.) Pure functions over bytes.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace shoal::protocols::ajp {

inline constexpr size_t kHeaderSize = 4;

// Message codes, web server → container.
inline constexpr uint8_t kForwardRequest = 2;
inline constexpr uint8_t kShutdown = 7;
inline constexpr uint8_t kPing = 8;
inline constexpr uint8_t kCping = 10;
// Container → web server.
inline constexpr uint8_t kSendBodyChunk = 3;
inline constexpr uint8_t kSendHeaders = 4;
inline constexpr uint8_t kEndResponse = 5;
inline constexpr uint8_t kGetBodyChunk = 6;
inline constexpr uint8_t kCpong = 9;

// Reads AJP data types from a payload, front to back. Any read past the end
// sets failed() and returns an empty value; callers check failed() once.
class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  uint8_t Byte();
  uint16_t Uint16();
  bool Bool() { return Byte() != 0; }
  // A string; nullopt for the null string (length 0xFFFF).
  std::optional<std::string_view> String();
  // The next byte without consuming it (0 at the end).
  uint8_t Peek() const { return data_.empty() ? 0 : static_cast<uint8_t>(data_[0]); }
  bool failed() const { return failed_; }
  size_t left() const { return data_.size(); }

 private:
  std::string_view data_;
  bool failed_ = false;
};

// Builds one container → web server packet: Start, the fields, Finish.
class PacketBuilder {
 public:
  explicit PacketBuilder(std::string& out) : out_(out), start_(out.size()) {
    out_.append("AB\0\0", kHeaderSize);
  }
  PacketBuilder& Byte(uint8_t value);
  PacketBuilder& Uint16(uint16_t value);
  PacketBuilder& String(std::string_view value);
  PacketBuilder& Bytes(std::string_view value);
  // Fills in the length. Returns the payload's size.
  size_t Finish();

 private:
  std::string& out_;
  size_t start_;
};

// The bytes of a SEND_BODY_CHUNK packet before its `length` bytes of data:
// 'AB', the packet length, the type, the data length. The packet ends with
// one NUL after the data.
constexpr size_t kBodyChunkPrefix = 7;
void EncodeBodyChunkPrefix(char (&out)[kBodyChunkPrefix], size_t length);

// Appends SEND_BODY_CHUNK packets carrying `data` (each at most
// `max_data` bytes, so the packet fits the negotiated size).
void AppendBodyChunks(std::string& out, std::string_view data, size_t max_data);

// The largest SEND_BODY_CHUNK data for a packet size: header, type, length,
// trailing NUL (8 bytes) come off. Tomcat's MAX_SEND_SIZE.
inline size_t MaxSendData(size_t packet_size) { return packet_size - 8; }

}  // namespace shoal::protocols::ajp
