// File plumbing of the command-line tools (see tool_io.h).
#include "tool_io.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace qgemm_tools {

namespace {

// Temporary files to remove if a signal ends the process. Plain arrays: the handler may only
// use async-signal-safe calls (unlink, signal, raise), so no std::string or locks.
constexpr int kMaxTempFiles = 8;
constexpr size_t kMaxPath = 4096;
char g_temp_paths[kMaxTempFiles][kMaxPath];
volatile std::sig_atomic_t g_temp_used[kMaxTempFiles];

void remove_temp_files_and_die(int signal_number) {
  for (int i = 0; i < kMaxTempFiles; ++i) {
    if (g_temp_used[i]) unlink(g_temp_paths[i]);
  }
  std::signal(signal_number, SIG_DFL);
  std::raise(signal_number);
}

int register_temp_file(const std::string& path) {
  if (path.size() >= kMaxPath) return -1;
  for (int i = 0; i < kMaxTempFiles; ++i) {
    if (g_temp_used[i]) continue;
    std::memcpy(g_temp_paths[i], path.c_str(), path.size() + 1);
    g_temp_used[i] = 1;
    return i;
  }
  return -1;  // more outputs than slots: still removed on failure, just not on a signal
}

void unregister_temp_file(int slot) {
  if (slot >= 0) g_temp_used[slot] = 0;
}

std::string errno_text() { return std::strerror(errno); }

}  // namespace

mapped_file::mapped_file(const std::string& path) : path_(path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw tool_error(path + ": cannot open: " + errno_text());
  struct stat info;
  if (fstat(fd, &info) != 0) {
    const std::string why = errno_text();
    close(fd);
    throw tool_error(path + ": cannot stat: " + why);
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    throw tool_error(path + ": not a regular file");
  }
  size_ = static_cast<size_t>(info.st_size);
  if (size_ > 0) {
    void* mapping = mmap(nullptr, size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      const std::string why = errno_text();
      close(fd);
      throw tool_error(path + ": cannot map: " + why);
    }
    data_ = static_cast<const unsigned char*>(mapping);
    madvise(mapping, size_, MADV_SEQUENTIAL);  // read-ahead more, keep less behind
  }
  close(fd);  // the mapping keeps the file open
}

mapped_file::~mapped_file() {
  if (data_ != nullptr) munmap(const_cast<unsigned char*>(data_), size_);
}

void mapped_file::start_pass() const { released_ = 0; }

void mapped_file::release_before(size_t end) const {
  if (data_ == nullptr) return;
  constexpr size_t kReleaseStep = size_t{1} << 20;  // one madvise per MiB read, not per run
  const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
  const size_t aligned_end = std::min(end, size_) / page * page;
  if (aligned_end < released_ + kReleaseStep && aligned_end < size_ / page * page) return;
  if (aligned_end <= released_) return;
  // The mapping is read-only and private, so dropping its pages discards nothing: a later
  // touch reads them again from the page cache or the file.
  madvise(const_cast<unsigned char*>(data_) + released_, aligned_end - released_, MADV_DONTNEED);
  released_ = aligned_end;
}

atomic_output::atomic_output(const std::string& path) : path_(path) {
  std::vector<char> name(path.begin(), path.end());
  const char suffix[] = ".tmp.XXXXXX";
  name.insert(name.end(), suffix, suffix + sizeof(suffix));  // with the terminating NUL
  fd_ = mkostemp(name.data(), O_CLOEXEC);
  if (fd_ < 0) throw tool_error(path + ": cannot create a temporary file: " + errno_text());
  temp_path_ = name.data();
  slot_ = register_temp_file(temp_path_);
  // mkstemp creates the file 0600; give the result the permissions a plain create would.
  const mode_t mask = umask(0);
  umask(mask);
  fchmod(fd_, 0666 & ~mask);
}

atomic_output::~atomic_output() {
  if (committed_) return;
  if (fd_ >= 0) close(fd_);
  unlink(temp_path_.c_str());
  unregister_temp_file(slot_);
}

void atomic_output::write(const void* data, size_t bytes) {
  const char* next = static_cast<const char*>(data);
  while (bytes > 0) {
    const ssize_t written = ::write(fd_, next, bytes);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw tool_error(path_ + ": write failed: " + errno_text());
    }
    next += written;
    bytes -= static_cast<size_t>(written);
  }
}

void atomic_output::commit() {
  if (fsync(fd_) != 0) throw tool_error(path_ + ": cannot flush to disk: " + errno_text());
  const int fd = fd_;
  fd_ = -1;
  if (close(fd) != 0) throw tool_error(path_ + ": close failed: " + errno_text());
  if (rename(temp_path_.c_str(), path_.c_str()) != 0) {
    throw tool_error(path_ + ": cannot rename " + temp_path_ + " into place: " + errno_text());
  }
  committed_ = true;
  unregister_temp_file(slot_);
}

int tool_main(const char* tool, int (*run)(int, char**), int argc, char** argv) {
  install_cleanup_handlers();
  try {
    return run(argc, argv);
  } catch (const usage_error& e) {
    std::fprintf(stderr, "%s: error: %s\n(run %s --help for usage)\n", tool, e.what(), tool);
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: %s\n", tool, e.what());
    return 1;
  }
}

void install_cleanup_handlers() {
  for (const int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
    std::signal(signal_number, remove_temp_files_and_die);
  }
}

void progress_line::start(const std::string& phase, uint64_t total) {
  phase_ = phase;
  total_ = total;
  done_ = 0;
  shown_ = -1;
  advance(0);
}

void progress_line::advance(uint64_t amount) {
  if (!enabled_) return;
  done_ += amount;
  const int percent = total_ == 0 ? 100 : static_cast<int>(done_ * 100 / total_);
  if (percent == shown_) return;
  shown_ = percent;
  std::fprintf(stderr, "\r%s: %s %3d%%", tool_, phase_.c_str(), percent);
  std::fflush(stderr);
}

void progress_line::finish() {
  if (enabled_ && shown_ >= 0) std::fprintf(stderr, "\n");
  shown_ = -1;
}

int64_t parse_int(const std::string& option, const std::string& text, int64_t min,
                  int64_t max) {
  errno = 0;
  char* end = nullptr;
  const long long value = std::strtoll(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno == ERANGE) {
    throw tool_error(option + ": '" + text + "' is not an integer");
  }
  if (value < min || value > max) {
    throw tool_error(option + ": " + text + " is outside " + std::to_string(min) + ".." +
                     std::to_string(max));
  }
  return value;
}

double parse_double(const std::string& option, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || errno == ERANGE) {
    throw tool_error(option + ": '" + text + "' is not a finite number");
  }
  return value;
}

float parse_float(const std::string& option, const std::string& text) {
  errno = 0;
  char* end = nullptr;
  const float value = std::strtof(text.c_str(), &end);
  if (text.empty() || *end != '\0' || !std::isfinite(value) || (errno == ERANGE && value != 0)) {
    throw tool_error(option + ": '" + text + "' is not a finite float32");
  }
  return value;
}

std::vector<int64_t> parse_shape(const std::string& option, const std::string& text) {
  std::vector<int64_t> shape;
  size_t begin = 0;
  while (true) {
    const size_t comma = text.find(',', begin);
    const std::string part =
        text.substr(begin, comma == std::string::npos ? std::string::npos : comma - begin);
    shape.push_back(parse_int(option, part, 0, INT64_MAX));
    if (comma == std::string::npos) break;
    begin = comma + 1;
  }
  return shape;
}

bool ends_with(const std::string& text, const std::string& suffix) {
  return text.size() >= suffix.size() &&
         text.compare(text.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace qgemm_tools
