// .npy header parsing and writing (see npy.h for the format and what is accepted).
#include "npy.h"

#include <cctype>
#include <cstring>
#include <string>

namespace qgemm_tools {

namespace {

constexpr unsigned char kMagic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr uint64_t kMaxElements = uint64_t{1} << 62;

struct dtype_info {
  npy_dtype dtype;
  const char* descr;  // what we write
  const char* name;
  size_t size;
};

constexpr dtype_info kDtypes[] = {
    {npy_dtype::f32, "<f4", "float32", 4}, {npy_dtype::i8, "|i1", "int8", 1},
    {npy_dtype::u8, "|u1", "uint8", 1},    {npy_dtype::i16, "<i2", "int16", 2},
    {npy_dtype::u16, "<u2", "uint16", 2},  {npy_dtype::i32, "<i4", "int32", 4},
};

const dtype_info& info_of(npy_dtype dtype) {
  for (const dtype_info& info : kDtypes) {
    if (info.dtype == dtype) return info;
  }
  return kDtypes[0];  // unreachable: every enumerator is listed
}

// Maps a descr string to a dtype. Byte-sized types may carry any byte-order character (NumPy
// writes '|'); wider ones must be little-endian ('<'), because that is how we read them.
bool dtype_from_descr(const std::string& descr, npy_dtype* out, std::string* why) {
  if (descr.size() != 3) {
    *why = "unsupported dtype '" + descr + "'";
    return false;
  }
  const char order = descr[0];
  const std::string kind = descr.substr(1);
  for (const dtype_info& info : kDtypes) {
    if (kind != info.descr + 1) continue;
    if (info.size == 1 ? (order == '|' || order == '<' || order == '>' || order == '=')
                       : order == '<') {
      *out = info.dtype;
      return true;
    }
    *why = order == '>' ? "big-endian dtype '" + descr + "' (only little-endian is read)"
                        : "dtype '" + descr + "' has an unsupported byte order";
    return false;
  }
  *why = "unsupported dtype '" + descr +
         "' (supported: '<f4', '|i1', '|u1', '<i2', '<u2', '<i4')";
  return false;
}

// A tiny reader of the Python dict literal NumPy writes. It accepts any spacing and key order
// and a trailing comma, and nothing else: a header we cannot read exactly is an error.
class dict_parser {
 public:
  dict_parser(const std::string& text, const std::string& name) : text_(text), name_(name) {}

  npy_header parse() {
    npy_header header;
    bool have_descr = false, have_order = false, have_shape = false;
    expect('{');
    while (true) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        break;
      }
      const std::string key = parse_string();
      expect(':');
      if (key == "descr") {
        if (have_descr) fail("key 'descr' appears twice");
        have_descr = true;
        const std::string descr = parse_string();
        std::string why;
        if (!dtype_from_descr(descr, &header.dtype, &why)) fail(why);
      } else if (key == "fortran_order") {
        if (have_order) fail("key 'fortran_order' appears twice");
        have_order = true;
        if (parse_bool()) {
          fail("fortran_order is True (only C-order arrays are read; save with "
               "np.ascontiguousarray)");
        }
      } else if (key == "shape") {
        if (have_shape) fail("key 'shape' appears twice");
        have_shape = true;
        header.shape = parse_shape();
      } else {
        fail("unexpected key '" + key + "'");
      }
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        fail("expected ',' or '}' after the value of '" + key + "'");
      }
    }
    skip_space();
    if (pos_ != text_.size()) fail("unexpected text after the closing '}'");
    if (!have_descr) fail("key 'descr' is missing");
    if (!have_order) fail("key 'fortran_order' is missing");
    if (!have_shape) fail("key 'shape' is missing");
    return header;
  }

 private:
  [[noreturn]] void fail(const std::string& what) const {
    throw tool_error(name_ + ": bad .npy header: " + what + " in " + text_);
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  void skip_space() {
    while (pos_ < text_.size() && std::isspace(static_cast<unsigned char>(text_[pos_]))) ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++pos_;
  }
  std::string parse_string() {
    skip_space();
    const char quote = peek();
    if (quote != '\'' && quote != '"') fail("expected a quoted string");
    const size_t end = text_.find(quote, pos_ + 1);
    if (end == std::string::npos) fail("unterminated string");
    std::string value = text_.substr(pos_ + 1, end - pos_ - 1);
    pos_ = end + 1;
    return value;
  }
  bool parse_bool() {
    skip_space();
    if (text_.compare(pos_, 4, "True") == 0) {
      pos_ += 4;
      return true;
    }
    if (text_.compare(pos_, 5, "False") == 0) {
      pos_ += 5;
      return false;
    }
    fail("fortran_order is neither True nor False");
  }
  std::vector<int64_t> parse_shape() {
    std::vector<int64_t> shape;
    expect('(');
    while (true) {
      skip_space();
      if (peek() == ')') {
        ++pos_;
        break;
      }
      if (!std::isdigit(static_cast<unsigned char>(peek()))) fail("a dimension is not an integer");
      int64_t value = 0;
      while (std::isdigit(static_cast<unsigned char>(peek()))) {
        const int digit = peek() - '0';
        if (value > (INT64_MAX - digit) / 10) fail("a dimension is too large");
        value = value * 10 + digit;
        ++pos_;
      }
      shape.push_back(value);
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != ')') {
        fail("expected ',' or ')' in the shape");
      }
    }
    return shape;
  }

  const std::string& text_;
  const std::string& name_;
  size_t pos_ = 0;
};

}  // namespace

size_t npy_dtype_size(npy_dtype dtype) { return info_of(dtype).size; }
const char* npy_dtype_descr(npy_dtype dtype) { return info_of(dtype).descr; }
const char* npy_dtype_name(npy_dtype dtype) { return info_of(dtype).name; }

uint64_t element_count(const std::vector<int64_t>& shape) {
  uint64_t count = 1;
  for (const int64_t d : shape) {
    if (d < 0) throw tool_error("negative dimension " + std::to_string(d));
    if (d != 0 && count > kMaxElements / static_cast<uint64_t>(d)) {
      throw tool_error("shape " + shape_string(shape) + " has too many elements");
    }
    count *= static_cast<uint64_t>(d);
  }
  return count;
}

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string text = "(";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i > 0) text += ", ";
    text += std::to_string(shape[i]);
  }
  if (shape.size() == 1) text += ",";
  return text + ")";
}

bool has_npy_magic(const unsigned char* bytes, size_t size) {
  return size >= sizeof(kMagic) && std::memcmp(bytes, kMagic, sizeof(kMagic)) == 0;
}

npy_header parse_npy_header(const unsigned char* bytes, size_t size, const std::string& name) {
  if (!has_npy_magic(bytes, size)) {
    throw tool_error(name + ": bad .npy header: the file does not start with \\x93NUMPY");
  }
  if (size < 10) throw tool_error(name + ": bad .npy header: the file ends inside the preamble");
  const unsigned major = bytes[6], minor = bytes[7];
  size_t header_length = 0, preamble = 0;
  if (major == 1 && minor == 0) {
    header_length = bytes[8] | (size_t{bytes[9]} << 8);
    preamble = 10;
  } else if ((major == 2 || major == 3) && minor == 0) {
    if (size < 12) {
      throw tool_error(name + ": bad .npy header: the file ends inside the preamble");
    }
    header_length = bytes[8] | (size_t{bytes[9]} << 8) | (size_t{bytes[10]} << 16) |
                    (size_t{bytes[11]} << 24);
    preamble = 12;
  } else {
    throw tool_error(name + ": bad .npy header: unsupported version " + std::to_string(major) +
                     "." + std::to_string(minor) + " (1.0, 2.0 and 3.0 are read)");
  }
  if (header_length > size - preamble) {
    throw tool_error(name + ": bad .npy header: it says " + std::to_string(header_length) +
                     " header bytes but the file has only " + std::to_string(size - preamble) +
                     " after the preamble (truncated?)");
  }
  const std::string text(reinterpret_cast<const char*>(bytes) + preamble, header_length);
  npy_header header = dict_parser(text, name).parse();
  header.data_offset = preamble + header_length;
  uint64_t count = 0;
  try {
    count = element_count(header.shape);
  } catch (const tool_error& e) {
    throw tool_error(name + ": bad .npy header: " + e.what());
  }
  const uint64_t data_bytes = count * npy_dtype_size(header.dtype);
  const uint64_t have = size - header.data_offset;
  if (have < data_bytes) {
    throw tool_error(name + ": truncated: shape " + shape_string(header.shape) + " of " +
                     npy_dtype_name(header.dtype) + " needs " + std::to_string(data_bytes) +
                     " data bytes, the file has " + std::to_string(have));
  }
  if (have > data_bytes) {
    throw tool_error(name + ": " + std::to_string(have - data_bytes) +
                     " bytes follow the data that shape " + shape_string(header.shape) +
                     " describes (not a .npy file, or a wrong header)");
  }
  return header;
}

std::string npy_header_bytes(npy_dtype dtype, const std::vector<int64_t>& shape) {
  std::string dict = std::string("{'descr': '") + npy_dtype_descr(dtype) +
                     "', 'fortran_order': False, 'shape': " + shape_string(shape) + ", }";
  // Pad with spaces so that magic + version + length + dict + '\n' is a multiple of 64.
  const bool version2 = dict.size() + 1 + 10 > 65535;
  const size_t preamble = version2 ? 12 : 10;
  const size_t total = (preamble + dict.size() + 1 + 63) / 64 * 64;
  dict.append(total - preamble - dict.size() - 1, ' ');
  dict += '\n';
  std::string out(reinterpret_cast<const char*>(kMagic), sizeof(kMagic));
  out += static_cast<char>(version2 ? 2 : 1);
  out += '\0';
  const size_t length = dict.size();
  out += static_cast<char>(length & 0xff);
  out += static_cast<char>((length >> 8) & 0xff);
  if (version2) {
    out += static_cast<char>((length >> 16) & 0xff);
    out += static_cast<char>((length >> 24) & 0xff);
  }
  return out + dict;
}

}  // namespace qgemm_tools
