#pragma once

// What the DockerVrf* tests share: a client namespace behind an uplink, and the fixtures with
// their helpers (docker_vrf_test.cpp: labels; docker_firewall_test.cpp: Docker's firewall and
// published ports). Not in an anonymous namespace: both files' tests are of one fixture.

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "harness.hpp"

namespace netvrf::test {

using namespace std::chrono_literals;
using nlohmann::json;

// A client namespace behind a veth pair: the host end `uplink` with `hostAddr` (/28, in the
// main table for the test to enslave where it wants), the client end with `clientAddr` and its
// default route through the host end. Gone at the end, with VRF `vrf` when one is named.
class Client {
 public:
  Client(const std::string& stem, std::string hostEnd, const std::string& hostAddr,
         const std::string& clientAddr, std::string vrf = "")
      : ns(stem + std::to_string(getpid() % 10000)),
        uplink(std::move(hostEnd)),
        vrf_(std::move(vrf)) {
    const std::string peer = this->uplink + "c";
    ok_ =
        run({"ip", "netns", "add", ns}).status == 0 &&
        run({"ip", "link", "add", this->uplink, "type", "veth", "peer", "name", peer, "netns", ns})
                .status == 0 &&
        run({"ip", "addr", "add", hostAddr + "/28", "dev", this->uplink}).status == 0 &&
        run({"ip", "link", "set", this->uplink, "up"}).status == 0 &&
        run({"ip", "-n", ns, "addr", "add", clientAddr + "/28", "dev", peer}).status == 0 &&
        run({"ip", "-n", ns, "link", "set", peer, "up"}).status == 0 &&
        run({"ip", "-n", ns, "route", "add", "default", "via", hostAddr}).status == 0;
  }
  ~Client() {
    run({"ip", "link", "del", uplink});
    run({"ip", "netns", "del", ns});
    if (!vrf_.empty()) run({"ip", "link", "del", vrf_});
  }
  bool ok() const { return ok_; }
  // The uplink into `vrf`, up (enslaving takes it down).
  bool enslave(const std::string& vrf) const {
    return run({"ip", "link", "set", uplink, "master", vrf}).status == 0 &&
           run({"ip", "link", "set", uplink, "up"}).status == 0;
  }
  const std::string ns, uplink;

 private:
  std::string vrf_;
  bool ok_ = false;
};

class DockerVrf : public ::testing::Test {
 protected:
  void SetUp() override { NETVRF_REQUIRE(missingDocker()); }

  json ipJson(const std::string& entry, std::vector<std::string> args) {
    std::vector<std::string> argv{"ip", "-n", entry, "-j"};
    argv.insert(argv.end(), args.begin(), args.end());
    Result r = run(argv);
    if (r.status != 0) return json::array();
    return json::parse(r.out, nullptr, false);
  }
  std::string masterOf(const std::string& entry, const std::string& dev) {
    json link = ipJson(entry, {"link", "show", dev});
    return link.is_array() && link.size() == 1 ? link[0].value("master", "") : "";
  }
  bool logSays(const Netvrfd& d, const std::string& text) {
    return waitUntil([&] { return d.log().find(text) != std::string::npos; }, 10s);
  }
  static std::string readFile(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::string createNetwork(const std::string& name, std::vector<std::string> args) {
    return docker_.createNetwork(name, args);
  }
  // The master of `container`'s interface on `network` (found by the MAC the engine gave it).
  std::string masterOnNetwork(Docker& engine, const std::string& container,
                              const std::string& network) {
    std::string mac = engine.inspect(
        container, "{{(index .NetworkSettings.Networks \"" + network + "\").MacAddress}}");
    for (const auto& l : ipJson(container, {"link", "show"}))
      if (!mac.empty() && l.value("address", "") == mac)
        return masterOf(container, l.value("ifname", ""));
    return "(no interface)";
  }
  json hostLink(const std::string& dev) {
    Result r = run({"ip", "-j", "-d", "link", "show", dev});
    return r.status == 0 ? json::parse(r.out) : json::array();
  }
  // Whether host interface `dev` is enslaved to `vrf` within 20 s.
  bool joins(const std::string& dev, const std::string& vrf) {
    return waitUntil(
        [&] {
          json l = hostLink(dev);
          return l.size() == 1 && l[0].value("master", "") == vrf;
        },
        20s);
  }

  Docker docker_;
};

class DockerVrfKernel : public DockerVrf {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingVrf());
    DockerVrf::SetUp();
  }
};

}  // namespace netvrf::test
