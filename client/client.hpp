#pragma once

// What every netvrfctl command shares: the proxy, argument errors, and table output.
#include <sdbus-c++/sdbus-c++.h>

#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "netvrf1_proxy.h"

namespace netvrfctl {

using nlohmann::json;

class Client : public sdbus::ProxyInterfaces<org::netvrf1::Manager_proxy> {
 public:
  explicit Client(sdbus::IConnection& bus) : ProxyInterfaces(bus, "org.netvrf1", "/org/netvrf1") {
    registerProxy();
  }
  virtual ~Client() { unregisterProxy(); }

  bool json = false;

 private:
  void onContainerChanged(const std::string& key, const std::string& name, const std::string& state,
                          const std::string& vrf) override;
};

// Wrong command-line arguments: netvrfctl prints "netvrfctl: VERB: what" and exits with 2.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

using Args = std::vector<std::string>;  // the verb's arguments, without the verb

// Aligned columns, as `ip -br` and `networkctl list` print them.
void printTable(const std::vector<std::vector<std::string>>& rows);
std::string orDash(const std::string& s);
std::string joined(const std::vector<std::string>& items);  // "a, b"
uint32_t tableArg(const std::string& text);                  // --table N; throws UsageError

// The commands; each returns the exit code.
int list(Client& c, const Args& args);
int status(Client& c, const Args& args);
int attach(Client& c, const Args& args);
int detach(Client& c, const Args& args);
int vrf(Client& c, const Args& args);
int netns(Client& c, const Args& args);
int network(Client& c, const Args& args);

}  // namespace netvrfctl
