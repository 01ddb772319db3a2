#include "firewall/port_rules.hpp"

#include <gtest/gtest.h>

#include "firewall/ruleset.hpp"

namespace netvrf {
namespace {

const std::vector<VrfMembers> kVrfs = {
    {"blue", {"up0", "br-a", "br-b"}, {"192.0.2.1", "2001:db8:1::1", "203.0.113.65"}},
    {"red", {"up1"}, {"198.51.100.1"}},
};

TEST(PortRules, EachMemberButItsOwnBridgeAndEachAddressOfItsVrf) {
  std::vector<PortForward> ports = {{"blue", "br-a", "tcp", "0.0.0.0", 8082, "203.0.113.66", 80}};
  PortRules r = portRules(kVrfs, ports, false);
  const std::string dnat = " -p tcp --dport 8082 -j DNAT --to-destination 203.0.113.66:80";
  const std::string local = " -m addrtype --dst-type LOCAL --limit-iface-in";
  EXPECT_EQ(r.prerouting,
            (std::vector<std::string>{"-i br-b" + local + dnat, "-i up0" + local + dnat}));
  EXPECT_EQ(r.output, (std::vector<std::string>{"-o blue -d 192.0.2.1" + dnat,
                                                "-o blue -d 203.0.113.65" + dnat}));
  // Through FORWARD to the container's port, once, whatever Podman's rules let in.
  EXPECT_EQ(r.forward, (std::vector<std::string>{"-i blue -o br-a -d 203.0.113.66 -p tcp --dport "
                                                 "80 -m conntrack --ctstate DNAT -j ACCEPT"}));
  PortRules v6 = portRules(kVrfs, ports, true);
  EXPECT_TRUE(v6.prerouting.empty());
  EXPECT_TRUE(v6.output.empty());
  EXPECT_TRUE(v6.forward.empty());
}

TEST(PortRules, PerFamilyToTheContainersAddressOfThatFamily) {
  std::vector<PortForward> ports = {
      {"blue", "br-a", "udp", "0.0.0.0", 5353, "203.0.113.66", 53},
      {"blue", "br-a", "udp", "::", 5353, "2001:db8:2::2", 53},
      // Docker binds :: also for a container with no IPv6 address (its proxy translates):
      // nothing in a VRF.
      {"blue", "br-a", "tcp", "::", 8082, "", 80},
  };
  PortRules v6 = portRules(kVrfs, ports, true);
  const std::string dnat = " -p udp --dport 5353 -j DNAT --to-destination [2001:db8:2::2]:53";
  EXPECT_EQ(v6.prerouting, (std::vector<std::string>{
                               "-i br-b -m addrtype --dst-type LOCAL --limit-iface-in" + dnat,
                               "-i up0 -m addrtype --dst-type LOCAL --limit-iface-in" + dnat}));
  EXPECT_EQ(v6.output, (std::vector<std::string>{"-o blue -d 2001:db8:1::1" + dnat}));
  EXPECT_EQ(portRules(kVrfs, ports, false).prerouting.size(), 2u);
  EXPECT_EQ(v6.forward, (std::vector<std::string>{"-i blue -o br-a -d 2001:db8:2::2 -p udp --dport "
                                                  "53 -m conntrack --ctstate DNAT -j ACCEPT"}));
}

TEST(PortRules, AHostAddressAnswersOnlyWhereTheVrfHasIt) {
  std::vector<PortForward> ports = {
      {"blue", "br-a", "tcp", "192.0.2.1", 8083, "203.0.113.66", 81},
      {"blue", "br-a", "tcp", "127.0.0.1", 8084, "203.0.113.66", 82},
      {"blue", "br-a", "tcp", "198.51.100.1", 8085, "203.0.113.66", 83},  // red's
      {"green", "br-c", "tcp", "", 8086, "203.0.113.66", 84},             // no such VRF
  };
  PortRules r = portRules(kVrfs, ports, false);
  const std::string dnat = " -p tcp --dport 8083 -j DNAT --to-destination 203.0.113.66:81";
  EXPECT_EQ(r.prerouting, (std::vector<std::string>{"-i br-b -d 192.0.2.1" + dnat,
                                                    "-i up0 -d 192.0.2.1" + dnat}));
  EXPECT_EQ(r.output, (std::vector<std::string>{"-o blue -d 192.0.2.1" + dnat}));
  EXPECT_EQ(r.forward.size(), 1u);  // the port that answers somewhere
}

TEST(PortRules, AnEmptyHostIpIsEitherFamily) {  // Podman's
  std::vector<PortForward> ports = {{"red", "br-r", "tcp", "", 8080, "203.0.113.130", 80}};
  EXPECT_EQ(portRules(kVrfs, ports, false).output,
            (std::vector<std::string>{"-o red -d 198.51.100.1 -p tcp --dport 8080 -j DNAT "
                                      "--to-destination 203.0.113.130:80"}));
  EXPECT_TRUE(portRules(kVrfs, ports, true).prerouting.empty());
}

TEST(Ruleset, TheRestoreInputReplacesOnlyItsOwnChains) {
  Ruleset rules{{"-i blue -s 203.0.113.64/28 -o up0 -j ACCEPT"},
                {"-i up0 -d 192.0.2.1 -p tcp --dport 1 -j DNAT --to-destination 203.0.113.66:2"},
                {}};
  EXPECT_EQ(restoreInput(rules),
            "*filter\n"
            ":NETVRF-FORWARD - [0:0]\n"
            "-A NETVRF-FORWARD -i blue -s 203.0.113.64/28 -o up0 -j ACCEPT\n"
            "COMMIT\n"
            "*nat\n"
            ":NETVRF-PREROUTING - [0:0]\n"
            "-A NETVRF-PREROUTING -i up0 -d 192.0.2.1 -p tcp --dport 1 -j DNAT "
            "--to-destination 203.0.113.66:2\n"
            ":NETVRF-OUTPUT - [0:0]\n"
            "COMMIT\n");
  EXPECT_TRUE(Ruleset{}.empty());
  EXPECT_FALSE(rules.empty());
}

TEST(Ruleset, AChangeDeletesWhatWentAndAppendsWhatCame) {
  Ruleset from{{"-i blue -s 203.0.113.64/28 -o up0 -j ACCEPT"}, {"A", "B"}, {"C"}};
  Ruleset to{{"-i blue -s 203.0.113.64/28 -o up0 -j ACCEPT"}, {"B", "D"}, {"C"}};
  EXPECT_EQ(restoreChanges(from, to),
            "*nat\n"
            "-D NETVRF-PREROUTING A\n"
            "-A NETVRF-PREROUTING D\n"
            "COMMIT\n");
  EXPECT_EQ(restoreChanges(from, from), "");
  EXPECT_EQ(restoreChanges(Ruleset{}, Ruleset{{"F"}, {}, {}}),
            "*filter\n-A NETVRF-FORWARD F\nCOMMIT\n");
}

}  // namespace
}  // namespace netvrf
