// NumPy .npy files: parsing and writing the header, for the command-line tools.
//
// A .npy file is a 6-byte magic ("\x93NUMPY"), a version (1.0, 2.0 or 3.0), the length of
// the header (2 bytes little-endian in 1.0, 4 bytes in 2.0 and 3.0), the header itself (a
// Python dict literal such as {'descr': '<f4', 'fortran_order': False, 'shape': (3, 4), }
// padded with spaces and ended by '\n'), then the raw elements in C order.
//
// We read only what the tools exchange: little-endian (or byte-sized) float32, int8, uint8,
// int16, uint16 and int32, in C order. Anything else (big-endian, Fortran order, other
// dtypes, a malformed dict, a file whose size does not match the shape) is rejected with a
// message that says what was found, because reading it anyway would give silently wrong
// numbers. We write version 1.0 headers padded to 64 bytes, as NumPy does (2.0 only when the
// header would not fit in 65535 bytes), so the data that follows is 64-byte aligned.
#ifndef QGEMM_TOOLS_NPY_H
#define QGEMM_TOOLS_NPY_H

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace qgemm_tools {

// What every tool throws for bad input; main() prints it and exits non-zero.
class tool_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class npy_dtype { f32, i8, u8, i16, u16, i32 };

size_t npy_dtype_size(npy_dtype dtype);
const char* npy_dtype_descr(npy_dtype dtype);  // "<f4", "|i1", ...
const char* npy_dtype_name(npy_dtype dtype);   // "float32", "int8", ...

struct npy_header {
  npy_dtype dtype = npy_dtype::f32;
  std::vector<int64_t> shape;  // empty for a 0-d array (one element)
  size_t data_offset = 0;      // bytes from the start of the file to the first element
};

// Number of elements of a shape (1 for a 0-d array). Throws tool_error on overflow of
// 2^62 elements, so that byte counts computed from it cannot overflow either.
uint64_t element_count(const std::vector<int64_t>& shape);

// "(3, 4)", "(3,)", "()": the Python spelling, for messages and headers.
std::string shape_string(const std::vector<int64_t>& shape);

// True when `bytes` starts with the .npy magic.
bool has_npy_magic(const unsigned char* bytes, size_t size);

// Parses the header of a .npy file of `size` bytes starting at `bytes`, and checks that the
// file holds exactly the elements its shape says (a shorter file is truncated, a longer one is
// not a .npy file we wrote or NumPy wrote). `name` is used in messages. Throws tool_error.
npy_header parse_npy_header(const unsigned char* bytes, size_t size, const std::string& name);

// The complete preamble (magic, version, length, padded dict) of a C-order array.
std::string npy_header_bytes(npy_dtype dtype, const std::vector<int64_t>& shape);

}  // namespace qgemm_tools

#endif  // QGEMM_TOOLS_NPY_H
