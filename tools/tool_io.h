// File plumbing shared by the command-line tools: a read-only memory map of the input, an
// output file that appears only when complete, a progress line, and argument parsing.
//
// Why outputs go through a temporary file. A tool that fails halfway (bad data found late, a
// full disk, Ctrl-C) must not leave a file that looks like a result. Every output is written
// to "<path>.tmp.XXXXXX" in the same directory (so the final rename cannot cross file
// systems), flushed to disk, and renamed over <path> only after everything succeeded; on
// failure, and on SIGINT/SIGTERM/SIGHUP, the temporary file is removed.
#ifndef QGEMM_TOOLS_TOOL_IO_H
#define QGEMM_TOOLS_TOOL_IO_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "npy.h"

namespace qgemm_tools {

// A whole file mapped read-only. The mapping costs address space, not memory: pages are read
// on first touch and can be dropped again with release_before(), so a pass over a file larger
// than memory keeps only a window resident.
class mapped_file {
 public:
  explicit mapped_file(const std::string& path);  // throws tool_error
  ~mapped_file();
  mapped_file(const mapped_file&) = delete;
  mapped_file& operator=(const mapped_file&) = delete;

  const unsigned char* data() const { return data_; }
  size_t size() const { return size_; }
  const std::string& path() const { return path_; }
  // A pass reads the file front to back; release_before(end) says it needs nothing before
  // byte `end` again, and drops this process's pages there (in steps of 1 MiB; they stay in the
  // page cache, so a later pass reads them back cheaply). start_pass() begins a new pass.
  // Hints only: nothing breaks if the kernel ignores them.
  void start_pass() const;
  void release_before(size_t end) const;

 private:
  std::string path_;
  const unsigned char* data_ = nullptr;
  size_t size_ = 0;
  mutable size_t released_ = 0;  // bytes dropped in this pass
};

// An output file that is created under a temporary name and renamed into place by commit().
class atomic_output {
 public:
  explicit atomic_output(const std::string& path);  // throws tool_error
  ~atomic_output();                                 // removes the temporary file unless committed
  atomic_output(const atomic_output&) = delete;
  atomic_output& operator=(const atomic_output&) = delete;

  void write(const void* data, size_t bytes);  // throws tool_error (e.g. disk full)
  // Flushes, closes and renames the file to its final path. Throws tool_error.
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = -1;
  int slot_ = -1;  // in the signal handler's list of files to remove
  bool committed_ = false;
};

// A bad command line: the tool exits with status 2 and points at --help.
class usage_error : public tool_error {
 public:
  using tool_error::tool_error;
};

// The whole main() of a tool: installs the cleanup handlers, runs `run`, and turns an exception
// into "<tool>: error: ..." on stderr and exit status 2 (usage_error) or 1 (anything else).
int tool_main(const char* tool, int (*run)(int, char**), int argc, char** argv);

// Installs SIGINT/SIGTERM/SIGHUP handlers that remove every uncommitted atomic_output's
// temporary file before the process dies. Call once at the start of main().
void install_cleanup_handlers();

// "qgemm-quantize: calibrate 42%" on stderr, rewritten in place as the percentage changes.
class progress_line {
 public:
  progress_line(const char* tool, bool enabled) : tool_(tool), enabled_(enabled) {}
  void start(const std::string& phase, uint64_t total);
  void advance(uint64_t amount);
  void finish();  // ends the line (if one was printed)

 private:
  const char* tool_;
  bool enabled_;
  std::string phase_;
  uint64_t total_ = 0, done_ = 0;
  int shown_ = -1;
};

// Argument parsing: each throws tool_error naming `option` when `text` is not a complete,
// in-range value.
int64_t parse_int(const std::string& option, const std::string& text, int64_t min, int64_t max);
double parse_double(const std::string& option, const std::string& text);
// A float32 exactly as strtof rounds the text (so "0.1" is the float nearest 0.1, as in NumPy).
float parse_float(const std::string& option, const std::string& text);
// "3,4,5" -> {3, 4, 5}; every dimension >= 0.
std::vector<int64_t> parse_shape(const std::string& option, const std::string& text);

bool ends_with(const std::string& text, const std::string& suffix);

}  // namespace qgemm_tools

#endif  // QGEMM_TOOLS_TOOL_IO_H
