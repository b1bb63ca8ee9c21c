// The command wrapper in front of opa and the resolution of programs to trusted paths.
#include "policy/opa_wrapper.h"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <sstream>

#include "policy/opa_cli_engine.h"

namespace oep {
namespace {

bool IsInteger(const std::string& s) {
  size_t i = s.size() > 1 && s[0] == '-' ? 1 : 0;
  return i < s.size() && s.find_first_not_of("0123456789", i) == std::string::npos;
}

bool StartsWith(const std::string& s, const char* p) { return s.rfind(p, 0) == 0; }

// `word` names program `name`: the bare name, or an absolute path whose last part is it.
bool NamesProgram(const std::string& word, const char* name) {
  if (word == name) return true;
  size_t slash = word.rfind('/');
  return !word.empty() && word[0] == '/' && slash != std::string::npos && word.compare(slash + 1, std::string::npos, name) == 0;
}

Status Refuse(const std::string& what) {
  return Status::InvalidArgument("OEP_OPA_COMMAND_WRAPPER: " + what +
                                 " is not allowed (allowed: nice [-n N], prlimit --<resource>=N, sudo [-n] [-u USER], "
                                 "docker run --init --network none with --rm, -i, --read-only, --memory, --cpus, "
                                 "--user (not root) and read-only -v HOST:CONTAINER:ro mounts of non-system paths)");
}

// A docker --user value naming root: user or group 0 (any number of zeros) or "root".
bool IsRootUser(const std::string& spec) {
  std::stringstream ss(spec);
  for (std::string part; std::getline(ss, part, ':');) {
    bool zero = !part.empty() && part.find_first_not_of('0') == std::string::npos;
    if (zero || part == "root") return true;
  }
  return spec.empty() || spec[0] == ':';
}

// Why a docker mount's host path may not be mounted, or "" when it may.
std::string MountRefusal(const std::string& host) {
  if (host.empty() || host[0] != '/') return "its host path is not absolute (named volumes are not allowed)";
  std::vector<std::string> parts;
  std::stringstream ss(host);
  for (std::string part; std::getline(ss, part, '/');) {
    if (part == "." || part == "..") return "its host path has a . or .. component";
    if (!part.empty()) parts.push_back(part);
  }
  if (parts.empty()) return "it mounts the host's root directory";
  std::string norm;
  for (const auto& p : parts) norm += "/" + p;
  static const char* kSystemTrees[] = {"/proc", "/sys", "/dev", "/run", "/var/run", "/var/lib/docker",
                                       "/var/lib/containerd", "/etc", "/boot", "/root"};
  for (const char* tree : kSystemTrees) {
    size_t n = std::strlen(tree);
    if (norm.compare(0, n, tree) == 0 && (norm.size() == n || norm[n] == '/')) return std::string("it mounts ") + tree;
  }
  const std::string& last = parts.back();
  if (last.size() > 5 && last.compare(last.size() - 5, 5, ".sock") == 0) return "it mounts a socket (" + last + ")";
  return "";
}

Status CheckDocker(const std::vector<std::string>& words, size_t& i) {
  if (i >= words.size() || words[i] != "run") return Refuse("docker without run");
  ++i;
  bool init = false, no_network = false;
  while (i < words.size() && StartsWith(words[i], "-")) {
    const std::string& o = words[i];
    if (o == "--init") {
      init = true;
    } else if (o == "--network=none") {
      no_network = true;
    } else if (o == "--network") {
      if (i + 1 >= words.size() || words[i + 1] != "none") return Refuse("docker --network other than none");
      no_network = true;
      ++i;
    } else if (o == "--rm" || o == "-i" || o == "--read-only") {
    } else if ((StartsWith(o, "--memory=") || StartsWith(o, "--cpus=")) && o.find('=') + 1 < o.size()) {
    } else if (StartsWith(o, "--user=")) {
      if (IsRootUser(o.substr(7))) return Refuse("docker " + o + " (an empty user, root, or user or group 0)");
    } else if (o == "-v" && i + 1 < words.size()) {
      const std::string& mount = words[++i];
      if (mount.size() < 3 || mount.substr(mount.size() - 3) != ":ro" || std::count(mount.begin(), mount.end(), ':') != 2) {
        return Refuse("docker mount " + mount + " (mounts must be HOST:CONTAINER:ro)");
      }
      std::string why = MountRefusal(mount.substr(0, mount.find(':')));
      if (!why.empty()) return Refuse("docker mount " + mount + " (" + why + ")");
    } else {
      return Refuse("docker option " + o);
    }
    ++i;
  }
  if (!init) return Refuse("docker run without --init");
  if (!no_network) return Refuse("docker run without --network none");
  if (i >= words.size()) return Refuse("docker run without an image");
  ++i;  // the image; the opa command follows it
  if (i != words.size()) return Refuse("anything after the docker image");
  return Status::Ok();
}

bool WorldWritable(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && (st.st_mode & S_IWOTH) != 0;
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Why the absolute `path` may not be run, or "" when it may.
std::string UntrustedBecause(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || ::access(path.c_str(), X_OK) != 0) {
    return "not an executable file";
  }
  if (st.st_mode & S_IWOTH) return "the file is world-writable";
  if (WorldWritable(DirOf(path))) return "its directory " + DirOf(path) + " is world-writable";
  char resolved[PATH_MAX];
  if (::realpath(path.c_str(), resolved) == nullptr) return "its path cannot be resolved";
  if (WorldWritable(resolved)) return std::string("its target ") + resolved + " is world-writable";
  if (WorldWritable(DirOf(resolved))) return "its target's directory " + DirOf(resolved) + " is world-writable";
  return "";
}

}  // namespace

namespace policy_internal {

Result<std::vector<size_t>> WrapperProgramPositions(const std::vector<std::string>& words) {
  std::vector<size_t> programs;
  size_t i = 0;
  while (i < words.size()) {
    const std::string& w = words[i];
    programs.push_back(i++);
    if (NamesProgram(w, "nice")) {
      if (i < words.size() && words[i] == "-n") {
        if (i + 1 >= words.size() || !IsInteger(words[i + 1])) return Refuse("nice -n without a number");
        i += 2;
      }
    } else if (NamesProgram(w, "prlimit")) {
      static const char* kResources[] = {"--as=", "--cpu=", "--data=", "--fsize=", "--nofile=", "--nproc=", "--rss=", "--stack="};
      while (i < words.size() && StartsWith(words[i], "--")) {
        bool ok = false;
        for (const char* r : kResources) {
          ok = ok || (StartsWith(words[i], r) && IsInteger(words[i].substr(std::strlen(r))));
        }
        if (!ok) return Refuse("prlimit option " + words[i]);
        ++i;
      }
    } else if (NamesProgram(w, "sudo")) {
      while (i < words.size() && StartsWith(words[i], "-")) {
        if (words[i] == "-n") {
          ++i;
        } else if (words[i] == "-u" && i + 1 < words.size()) {
          i += 2;
        } else {
          return Refuse("sudo option " + words[i]);
        }
      }
    } else if (NamesProgram(w, "docker")) {
      OEP_RETURN_IF_ERROR(CheckDocker(words, i));
    } else {
      return Refuse("\"" + w + "\"");
    }
  }
  return programs;
}

}  // namespace policy_internal

Result<std::vector<std::string>> ParseWrapper(const std::string& text) {
  std::vector<std::string> words;
  std::stringstream ss(text);
  for (std::string w; ss >> w;) words.push_back(w);
  auto programs = policy_internal::WrapperProgramPositions(words);
  if (!programs.ok()) return programs.status();
  return words;
}

Result<std::string> ResolveTrustedProgram(const std::string& name, const std::string& search_path) {
  if (name.empty()) return Status::InvalidArgument("an empty program name");
  if (name.find('/') != std::string::npos) {
    if (name[0] != '/') return Status::InvalidArgument(name + ": a relative path is refused (give an absolute path)");
    std::string why = UntrustedBecause(name);
    if (why == "not an executable file") return Status::NotFound(name + ": " + why);
    if (!why.empty()) return Status::InvalidArgument(name + ": refused, " + why);
    return name;
  }
  std::vector<std::string> refused;
  std::stringstream path(search_path);
  for (std::string dir; std::getline(path, dir, ':');) {
    std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
    if (::access(candidate.c_str(), X_OK) != 0) continue;
    if (dir.empty() || dir[0] != '/') {
      refused.push_back(candidate + " (PATH entry \"" + dir + "\" is not an absolute directory)");
      continue;
    }
    std::string why = UntrustedBecause(candidate);
    if (why.empty()) return candidate;
    if (why != "not an executable file") refused.push_back(candidate + " (" + why + ")");
  }
  std::string msg = name + " not found in a trusted PATH directory";
  for (size_t k = 0; k < refused.size(); ++k) msg += (k ? "; " : "; refused: ") + refused[k];
  return Status::NotFound(msg);
}

}  // namespace oep
