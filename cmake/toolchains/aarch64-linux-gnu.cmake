# Cross build for 64-bit Arm Linux with Debian's GNU cross toolchain, run under qemu-user.
#   cmake -S . -B build-aarch64 -G Ninja \
#         -DCMAKE_TOOLCHAIN_FILE=cmake/toolchains/aarch64-linux-gnu.cmake
# Needs g++-aarch64-linux-gnu and qemu-user (tools/test-aarch64.sh installs them). ctest runs
# every test binary through CMAKE_CROSSCOMPILING_EMULATOR; the CPU model comes from QEMU_CPU
# (not -cpu here: that would override the variable the per-model tests set).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)

set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)

# The cross sysroot first, then Debian's multiarch arm64 packages (libbenchmark-dev:arm64 puts
# its library and CMake package under /usr/lib/aarch64-linux-gnu, which the library
# architecture above selects; the host's x86_64-linux-gnu directories are never searched).
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu /)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)

find_program(QGEMM_QEMU_AARCH64 qemu-aarch64 REQUIRED)
set(CMAKE_CROSSCOMPILING_EMULATOR "${QGEMM_QEMU_AARCH64};-L;/usr/aarch64-linux-gnu")
