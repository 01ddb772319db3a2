#include "common/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "common/error.hpp"
#include "common/fd.hpp"

extern char** environ;

namespace netvrf {

ProgramResult runProgram(const std::vector<std::string>& argv, const std::string& input) {
  int in[2], out[2];
  if (pipe2(in, O_CLOEXEC) != 0) throwErrno("pipe2");
  Fd inRead(in[0]), inWrite(in[1]);
  if (pipe2(out, O_CLOEXEC) != 0) throwErrno("pipe2");
  Fd outRead(out[0]), outWrite(out[1]);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, inRead.get(), 0);
  posix_spawn_file_actions_adddup2(&actions, outWrite.get(), 1);
  posix_spawn_file_actions_adddup2(&actions, outWrite.get(), 2);
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  int r = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (r != 0) throwErrno(r, "run " + argv[0]);
  inRead.reset();
  outWrite.reset();

  // Input and output at once, so that neither side blocks on a full pipe. A program that exits
  // without reading its input gives EPIPE, not a SIGPIPE for the daemon: blocked on this thread,
  // and taken back if it came.
  sigset_t pipeSignal, old;
  sigemptyset(&pipeSignal);
  sigaddset(&pipeSignal, SIGPIPE);
  pthread_sigmask(SIG_BLOCK, &pipeSignal, &old);
  bool brokenPipe = false;
  ProgramResult result;
  size_t written = 0;
  if (input.empty()) inWrite.reset();
  while (outRead) {
    pollfd fds[2] = {{outRead.get(), POLLIN, 0}, {inWrite ? inWrite.get() : -1, POLLOUT, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      throwErrno("poll");
    }
    if (fds[1].revents & (POLLOUT | POLLERR | POLLHUP)) {
      ssize_t n = write(inWrite.get(), input.data() + written, input.size() - written);
      if (n > 0) written += size_t(n);
      brokenPipe |= n < 0 && errno == EPIPE;
      if (n < 0 || written == input.size()) inWrite.reset();
    }
    if (fds[0].revents & (POLLIN | POLLHUP | POLLERR)) {
      char buf[4096];
      ssize_t n = read(outRead.get(), buf, sizeof buf);
      if (n > 0)
        result.output.append(buf, size_t(n));
      else if (n == 0 || errno != EINTR)
        outRead.reset();
    }
  }
  inWrite.reset();
  if (brokenPipe) {
    timespec now{};
    sigtimedwait(&pipeSignal, nullptr, &now);
  }
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return result;
}

}  // namespace netvrf
