// libmcpsim_interpose.so: calls that bypass libc's exported functions.
//
// Raw syscalls: at load (after the channel's hello) the shim installs a
// seccomp-BPF filter that traps (SECCOMP_RET_TRAP -> SIGSYS) the clock,
// sleep, randomness, thread/process and exec syscalls when the `syscall`
// instruction is not in the shim's own text (as Shadow's shim does; ours is
// written from the kernel's seccomp documentation), and a SIGSYS handler
// that answers them from the same simulated implementation as the libc
// overrides: `syscall(SYS_clock_gettime, ...)` reads virtual time,
// `syscall(SYS_getrandom, ...)` the seeded stream; clone/fork/exec and
// io_uring (which libc does not wrap: liburing and runtimes issue the raw
// syscalls) are refused.
//
// vDSO: clock reads that never enter the kernel (__vdso_clock_gettime,
// __vdso_gettimeofday, __vdso_time — glibc's internal calls, Go) are caught by
// patching those entry points with an absolute jump to the shim's functions.
//
// x86-64 only (elsewhere neither is installed and such calls are not caught).
// A filter cannot be removed and survives execve, so the shell the simulator
// starts the target with (`/bin/sh -c 'exec CMD'`) installs none
// (MCPSIM_INTERPOSE_SKIP_FILTER, consumed there), and exec in the target is
// refused (the new program would meet the filter before its shim loads).
#include <elf.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <ucontext.h>

#include "interpose/shim_common.h"

using namespace mcpsim::interpose;
using namespace mcpsim::interpose::shim;

extern "C" int clock_gettime(clockid_t, struct timespec*);
extern "C" int gettimeofday(struct timeval*, void*);
extern "C" time_t time(time_t*);

// io_uring's syscalls (Linux 5.1), for older headers.
#ifndef SYS_io_uring_setup
#define SYS_io_uring_setup 425
#define SYS_io_uring_enter 426
#define SYS_io_uring_register 427
#endif

namespace mcpsim::interpose::shim {

#if defined(__x86_64__)
namespace {

// The shim's executable segment: [g_text_lo, g_text_hi).
std::uintptr_t g_text_lo = 0, g_text_hi = 0;

int FindText(struct dl_phdr_info* info, size_t, void* self) {
  const auto me = reinterpret_cast<std::uintptr_t>(self);
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    if (ph.p_type != PT_LOAD || !(ph.p_flags & PF_X)) continue;
    const std::uintptr_t lo = info->dlpi_addr + ph.p_vaddr, hi = lo + ph.p_memsz;
    if (me >= lo && me < hi) {
      g_text_lo = lo, g_text_hi = hi;
      return 1;
    }
  }
  return 0;
}

std::int64_t Errno(int e) { return -static_cast<std::int64_t>(e); }

void OnSigsys(int, siginfo_t* si, void* ctx) {
  auto* uc = static_cast<ucontext_t*>(ctx);
  greg_t* g = uc->uc_mcontext.gregs;
  const int saved = errno;
  const long a0 = g[REG_RDI], a1 = g[REG_RSI], a2 = g[REG_RDX], a3 = g[REG_R10];
  std::int64_t ret = Errno(ENOSYS);
  switch (si->si_syscall) {
    case SYS_clock_gettime: {
      std::int64_t ns = ClockNs(static_cast<clockid_t>(a0));
      auto* ts = reinterpret_cast<struct timespec*>(a1);
      ts->tv_sec = ns / 1000000000, ts->tv_nsec = ns % 1000000000;
      ret = 0;
      break;
    }
    case SYS_gettimeofday: {
      std::int64_t ns = ClockNs(CLOCK_REALTIME);
      if (auto* tv = reinterpret_cast<struct timeval*>(a0)) tv->tv_sec = ns / 1000000000, tv->tv_usec = ns % 1000000000 / 1000;
      ret = 0;
      break;
    }
    case SYS_time: {
      ret = ClockNs(CLOCK_REALTIME) / 1000000000;
      if (auto* t = reinterpret_cast<time_t*>(a0)) *t = static_cast<time_t>(ret);
      break;
    }
    case SYS_getrandom:
      ret = RandomRead(reinterpret_cast<void*>(a0), static_cast<size_t>(a1));
      break;
    case SYS_nanosleep:
      if (a1) *reinterpret_cast<struct timespec*>(a1) = {0, 0};
      SleepUntil(ClockNs(CLOCK_MONOTONIC) + ToNs(reinterpret_cast<const struct timespec*>(a0)));
      ret = 0;
      break;
    case SYS_clock_nanosleep: {
      const std::int64_t req = ToNs(reinterpret_cast<const struct timespec*>(a2));
      std::int64_t wait = req;
      if (a1 & TIMER_ABSTIME) {
        const std::int64_t now = ClockNs(static_cast<clockid_t>(a0));
        wait = req > now ? req - now : 0;
      } else if (a3) {
        *reinterpret_cast<struct timespec*>(a3) = {0, 0};
      }
      SleepUntil(ClockNs(CLOCK_MONOTONIC) + wait);
      ret = 0;
      break;
    }
    case SYS_clone:
    case SYS_clone3:
    case SYS_fork:
    case SYS_vfork:
      Refuse("a raw clone/fork syscall: the target starts a second thread or process", EAGAIN);
      ret = Errno(EAGAIN);
      break;
    case SYS_execve:
    case SYS_execveat:
      Refuse("execve: the target replaces its program (not simulated: the new program would start outside the "
             "interposer)",
             EPERM);
      ret = Errno(EPERM);
      break;
    case SYS_io_uring_setup:
    case SYS_io_uring_enter:
    case SYS_io_uring_register:
      Refuse("io_uring: the target submits I/O through a kernel ring (not simulated: its sockets and timers would "
             "bypass the simulator)",
             ENOSYS);
      ret = Errno(ENOSYS);
      break;
    default:
      break;
  }
  g[REG_RAX] = ret;
  errno = saved;
}

// Writes `movabs $to, %rax; jmp *%rax` (12 bytes) at `at`, through
// /proc/self/mem (the kernel refuses mprotect on the vDSO; a write there
// forces a private copy of the page, as a debugger's breakpoint does).
bool PatchJump(int mem, void* at, void* to) {
  unsigned char code[12];
  const auto addr = reinterpret_cast<std::uint64_t>(to);
  code[0] = 0x48, code[1] = 0xb8;
  memcpy(code + 2, &addr, 8);
  code[10] = 0xff, code[11] = 0xe0;
  return syscall(SYS_pwrite64, mem, code, sizeof code, reinterpret_cast<std::uintptr_t>(at)) == sizeof code;
}

// Patches the vDSO's clock entry points; returns how many were patched.
int PatchVdso() {
  const auto base = static_cast<std::uintptr_t>(getauxval(AT_SYSINFO_EHDR));
  if (!base) return 0;
  const auto* eh = reinterpret_cast<const ElfW(Ehdr)*>(base);
  const auto* ph = reinterpret_cast<const ElfW(Phdr)*>(base + eh->e_phoff);
  std::intptr_t bias = 0;
  const ElfW(Dyn)* dyn = nullptr;
  for (int i = 0; i < eh->e_phnum; ++i) {
    if (ph[i].p_type == PT_LOAD) bias = static_cast<std::intptr_t>(base + ph[i].p_offset - ph[i].p_vaddr);
    if (ph[i].p_type == PT_DYNAMIC) dyn = reinterpret_cast<const ElfW(Dyn)*>(base + ph[i].p_offset);
  }
  if (!dyn) return 0;
  const ElfW(Sym)* symtab = nullptr;
  const char* strtab = nullptr;
  const std::uint32_t* hash = nullptr;
  for (const ElfW(Dyn)* d = dyn; d->d_tag != DT_NULL; ++d) {
    if (d->d_tag == DT_SYMTAB) symtab = reinterpret_cast<const ElfW(Sym)*>(bias + d->d_un.d_ptr);
    if (d->d_tag == DT_STRTAB) strtab = reinterpret_cast<const char*>(bias + d->d_un.d_ptr);
    if (d->d_tag == DT_HASH) hash = reinterpret_cast<const std::uint32_t*>(bias + d->d_un.d_ptr);
  }
  if (!symtab || !strtab || !hash) return 0;
  const std::uint32_t nsyms = hash[1];
  const int mem = static_cast<int>(syscall(SYS_openat, AT_FDCWD, "/proc/self/mem", O_RDWR | O_CLOEXEC));
  if (mem < 0) return 0;
  int patched = 0;
  for (std::uint32_t i = 0; i < nsyms; ++i) {
    const ElfW(Sym)& s = symtab[i];
    if (ELF64_ST_TYPE(s.st_info) != STT_FUNC || s.st_shndx == SHN_UNDEF || s.st_size < 12) continue;
    const char* name = strtab + s.st_name;
    void* to = nullptr;
    if (!strcmp(name, "__vdso_clock_gettime") || !strcmp(name, "clock_gettime")) {
      to = reinterpret_cast<void*>(&::clock_gettime);
    } else if (!strcmp(name, "__vdso_gettimeofday") || !strcmp(name, "gettimeofday")) {
      to = reinterpret_cast<void*>(&::gettimeofday);
    } else if (!strcmp(name, "__vdso_time") || !strcmp(name, "time")) {
      to = reinterpret_cast<void*>(&::time);
    }
    if (to && PatchJump(mem, reinterpret_cast<void*>(bias + s.st_value), to)) ++patched;
  }
  syscall(SYS_close, mem);
  return patched;
}

}  // namespace

void InstallRawCatch() {
  if (const char* skip = getenv("MCPSIM_INTERPOSE_SKIP_FILTER"); skip && *skip == '1') {
    unsetenv("MCPSIM_INTERPOSE_SKIP_FILTER");  // the shell's exec'd program installs it
    return;
  }
  if (const char* off = getenv("MCPSIM_INTERPOSE_NO_FILTER"); off && *off == '1') return;
  if (PatchVdso() == 0) Die("cannot patch the vDSO's clock functions (set MCPSIM_INTERPOSE_NO_FILTER=1 to run uncaught)");
  dl_iterate_phdr(FindText, reinterpret_cast<void*>(&InstallRawCatch));
  if (!g_text_lo) Die("cannot find the shim's own text for the seccomp filter");
  struct sigaction sa {};
  sa.sa_sigaction = OnSigsys;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  if (sigaction(SIGSYS, &sa, nullptr) != 0) Die("cannot install the SIGSYS handler");
  const std::uint32_t trapped[] = {SYS_clock_gettime, SYS_gettimeofday, SYS_time,  SYS_getrandom,
                                   SYS_nanosleep,     SYS_clock_nanosleep, SYS_clone, SYS_clone3,
                                   SYS_fork,          SYS_vfork,        SYS_execve, SYS_execveat,
                                   SYS_io_uring_setup, SYS_io_uring_enter, SYS_io_uring_register};
  constexpr std::uint32_t kN = sizeof trapped / sizeof trapped[0];
  const auto lo = static_cast<std::uint64_t>(g_text_lo), hi = static_cast<std::uint64_t>(g_text_hi);
  const bool same_hi = (lo >> 32) == ((hi - 1) >> 32);
  struct sock_filter f[16 + kN];
  unsigned n = 0;
  f[n++] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  f[n++] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0);
  f[n++] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  if (same_hi) {
    // From the shim's own text: allowed (its channel and pass-through calls).
    f[n++] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer) + 4);
    f[n++] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<std::uint32_t>(lo >> 32), 0, 4);
    f[n++] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, instruction_pointer));
    f[n++] = BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, static_cast<std::uint32_t>(lo), 0, 2);
    f[n++] = BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, static_cast<std::uint32_t>(hi), 1, 0);
    f[n++] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  }
  f[n++] = BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (std::uint32_t i = 0; i < kN; ++i) {
    // Match: jump to the TRAP after the remaining tests and the ALLOW.
    f[n++] = BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, trapped[i], static_cast<unsigned char>(kN - i), 0);
  }
  f[n++] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  f[n++] = BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP);
  struct sock_fprog prog = {static_cast<unsigned short>(n), f};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) Die("prctl(PR_SET_NO_NEW_PRIVS) failed");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) Die("cannot install the seccomp filter");
}
#else
void InstallRawCatch() {}
#endif

}  // namespace mcpsim::interpose::shim
