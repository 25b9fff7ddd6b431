// Helpers for the tests of the command-line tools: a scratch directory, running a tool, and
// reading and writing .npy files and the tools' JSON.
#ifndef QGEMM_TOOLS_TESTS_TOOL_TEST_SUPPORT_H
#define QGEMM_TOOLS_TESTS_TOOL_TEST_SUPPORT_H

#include <dirent.h>
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "npy.h"

extern char** environ;

namespace tool_test {

// A fresh directory under /tmp, removed with its contents at the end of the test.
class scratch_dir {
 public:
  scratch_dir() {
    char name[] = "/tmp/qgemm-tools-test-XXXXXX";
    if (mkdtemp(name) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = name;
  }
  ~scratch_dir() {
    for (const std::string& file : files()) unlink((path_ + "/" + file).c_str());
    rmdir(path_.c_str());
  }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }
  // Every entry's name (the scratch files are all plain files).
  std::set<std::string> files() const {
    std::set<std::string> names;
    if (DIR* dir = opendir(path_.c_str())) {
      while (const dirent* entry = readdir(dir)) {
        const std::string name = entry->d_name;
        if (name != "." && name != "..") names.insert(name);
      }
      closedir(dir);
    }
    return names;
  }

 private:
  std::string path_;
};

inline std::string read_text(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

inline void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

struct run_result {
  int exit_code = -1;
  std::string out, err;
};

// Runs `program` with `args` (no shell), capturing stdout and stderr through files in `dir`.
inline run_result run_tool(const scratch_dir& dir, const std::string& program,
                           const std::vector<std::string>& args) {
  const std::string out_path = dir / "..stdout", err_path = dir / "..stderr";
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  posix_spawn_file_actions_addopen(&actions, 2, err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC,
                                   0644);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(program.c_str()));
  for (const std::string& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
  argv.push_back(nullptr);
  pid_t pid = 0;
  run_result result;
  if (posix_spawn(&pid, program.c_str(), &actions, nullptr, argv.data(), environ) == 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }
  posix_spawn_file_actions_destroy(&actions);
  result.out = read_text(out_path);
  result.err = read_text(err_path);
  unlink(out_path.c_str());
  unlink(err_path.c_str());
  return result;
}

// Equal byte strings, or the first difference (gtest's own diff of megabyte strings is slow
// and unreadable).
inline ::testing::AssertionResult same_bytes(const std::string& actual,
                                             const std::string& expected) {
  if (actual.size() != expected.size()) {
    return ::testing::AssertionFailure()
           << "sizes differ: " << actual.size() << " vs expected " << expected.size();
  }
  for (size_t i = 0; i < actual.size(); ++i) {
    if (actual[i] != expected[i]) {
      return ::testing::AssertionFailure()
             << "first difference at byte " << i << ": "
             << static_cast<int>(static_cast<unsigned char>(actual[i])) << " vs expected "
             << static_cast<int>(static_cast<unsigned char>(expected[i]));
    }
  }
  return ::testing::AssertionSuccess();
}

template <class T>
std::string raw_bytes(const std::vector<T>& values) {
  return std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T));
}

template <class T>
void write_npy(const std::string& path, qgemm_tools::npy_dtype dtype,
               const std::vector<int64_t>& shape, const std::vector<T>& values) {
  write_bytes(path, qgemm_tools::npy_header_bytes(dtype, shape) + raw_bytes(values));
}

struct npy_file {
  qgemm_tools::npy_header header;
  std::string data;  // the element bytes
};

inline npy_file read_npy(const std::string& path) {
  const std::string bytes = read_text(path);
  npy_file file;
  file.header = qgemm_tools::parse_npy_header(
      reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), path);
  file.data = bytes.substr(file.header.data_offset);
  return file;
}

// The text after `"key": ` following the first occurrence of `anchor` (a key of an enclosing
// object, or "" for the top level).
inline const char* json_at(const std::string& json, const std::string& anchor,
                           const std::string& key) {
  size_t from = 0;
  if (!anchor.empty()) {
    from = json.find("\"" + anchor + "\"");
    if (from == std::string::npos) throw std::runtime_error("no " + anchor + " in " + json);
  }
  const size_t at = json.find("\"" + key + "\": ", from);
  if (at == std::string::npos) throw std::runtime_error("no " + key + " in " + json);
  return json.c_str() + at + key.size() + 4;
}

inline double json_number(const std::string& json, const std::string& anchor,
                          const std::string& key) {
  const char* text = json_at(json, anchor, key);
  if (std::strncmp(text, "null", 4) == 0) return INFINITY;
  return std::strtod(text, nullptr);
}

inline std::vector<double> json_numbers(const std::string& json, const std::string& anchor,
                                        const std::string& key) {
  const char* text = json_at(json, anchor, key);
  std::vector<double> values;
  if (*text != '[') throw std::runtime_error(key + " is not a list");
  ++text;
  while (*text != ']') {
    char* end = nullptr;
    values.push_back(std::strtod(text, &end));
    text = end;
    while (*text == ',' || *text == ' ') ++text;
  }
  return values;
}

}  // namespace tool_test

#endif  // QGEMM_TOOLS_TESTS_TOOL_TEST_SUPPORT_H
