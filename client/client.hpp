#pragma once

// What every netvrfctl command shares: the proxy, the parsed requests, and table output.
#include <sdbus-c++/sdbus-c++.h>

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "arguments.hpp"
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

// Aligned columns, as `ip -br` and `networkctl list` print them.
void printTable(const std::vector<std::vector<std::string>>& rows);
std::string orDash(const std::string& s);
std::string joined(const std::vector<std::string>& items);  // "a, b"

// The commands (arguments.hpp parses their requests); each returns the exit code.
int list(Client& c, const ListRequest& r);
int status(Client& c, const StatusRequest& r);
int attach(Client& c, const AttachRequest& r);
int detach(Client& c, const DetachRequest& r);
int requests(Client& c, const RequestsRequest& r);
int vrf(Client& c, const VrfRequest& r);
int netns(Client& c, const NetnsRequest& r);
int network(Client& c, const NetworkRequest& r);

}  // namespace netvrfctl
