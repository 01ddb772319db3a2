#include "runtime/docker/docker_json.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace netvrf::docker {
namespace {

std::string slurp(const std::string& name) {
  std::ifstream in(std::string(NETVRF_TEST_DATA) + "/" + name);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Lines captured from dockerd 20.10 (API 1.41) while running, restarting and removing
// containers in every network mode: tests/data/docker-events.jsonl.
TEST(DockerEvents, ParsesCapturedLines) {
  std::istringstream lines(slurp("docker-events.jsonl"));
  std::vector<Event> events;
  for (std::string line; std::getline(lines, line);)
    if (auto e = parseEvent(line)) events.push_back(*e);
  ASSERT_EQ(events.size(), 27u);
  EXPECT_EQ(events[1].action, "start");
  EXPECT_EQ(events[1].name, "cap1");
  EXPECT_EQ(events[1].id, "5a05c0553da2dd92ec4063e44180c5476c6b0d69b67007799fc584f74d91e7e5");
  EXPECT_EQ(events[1].timeNano, 1795426645849781527);
  int starts = 0, dies = 0, destroys = 0;
  for (const auto& e : events) {
    starts += e.action == "start";
    dies += e.action == "die";
    destroys += e.action == "destroy";
  }
  EXPECT_EQ(starts, 6);  // five containers, one restarted by its policy
  EXPECT_EQ(dies, 6);
  EXPECT_EQ(destroys, 5);
  // A create event carries the container's labels among its attributes, beside its name and
  // image: what registering from containerd's task start needs.
  EXPECT_EQ(events[0].action, "create");
  EXPECT_EQ(events[0].attributes,
            (std::map<std::string, std::string>{
                {"image", "netvrf-test/busybox"}, {"name", "cap1"}, {"netvrf.vrf", "red"}}));
}

TEST(DockerEvents, KeepsOnlyStringAttributes) {
  auto e = parseEvent(
      R"({"Type":"container","Action":"create","Actor":{"ID":"x","Attributes":{"a":"1","b":2,"c":null}}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->attributes, (std::map<std::string, std::string>{{"a", "1"}}));
  e = parseEvent(R"({"Type":"container","Action":"create","Actor":{"ID":"x","Attributes":[1]}})");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->attributes.empty());
}

TEST(DockerEvents, IgnoresWhatIsNotAContainerEvent) {
  EXPECT_FALSE(parseEvent(""));
  EXPECT_FALSE(parseEvent("{not json"));
  EXPECT_FALSE(parseEvent("[1,2]"));
  EXPECT_FALSE(parseEvent(R"({"Type":"volume","Action":"create","Actor":{"ID":"x"}})"));
  EXPECT_FALSE(parseEvent(R"({"Type":"container","Action":"start"})"));  // no id
  auto e = parseEvent(R"({"Type":"container","Action":"die","Actor":{"ID":"abc"}})");
  ASSERT_TRUE(e);
  EXPECT_EQ(e->name, "");
  EXPECT_EQ(e->timeNano, 0);
}

TEST(DockerEvents, NetworkEvents) {
  std::vector<Event> events;
  std::ifstream in(std::string(NETVRF_TEST_DATA) + "/docker-network-events.jsonl");
  for (std::string line; std::getline(in, line);)
    if (auto e = parseEvent(line)) events.push_back(*e);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "network");
  EXPECT_EQ(events[0].action, "create");
  EXPECT_EQ(events[0].name, "nvt-capnet");
  EXPECT_EQ(events[1].action, "destroy");
  EXPECT_EQ(events[0].id, events[1].id);
}

TEST(DockerNetworks, LabelsAndBridgeNames) {
  Network n = parseNetwork(slurp("docker-network-labelled.json"));
  EXPECT_EQ(n.name, "nvt-capnet");
  EXPECT_EQ(n.driver, "bridge");
  EXPECT_EQ(n.bridge, "br-" + n.id.substr(0, 12));  // no bridge.name option
  EXPECT_EQ(n.labels, (std::map<std::string, std::string>{{"netvrf.vrf", "blue"}}));
  EXPECT_EQ(n.subnets, std::vector<std::string>{"203.0.113.64/28"});

  std::map<std::string, Network> byName;
  for (auto& x : parseNetworkList(slurp("docker-networks.json"))) byName[x.name] = x;
  EXPECT_EQ(byName.at("nvt-capnet2").bridge, "nvtcap1");  // -o com.docker.network.bridge.name
  EXPECT_EQ(byName.at("bridge").bridge, "nvt0");          // dockerd --bridge
  EXPECT_EQ(byName.at("host").bridge, "");
  EXPECT_EQ(byName.at("bridge").subnets, std::vector<std::string>{"198.51.100.0/24"});
  EXPECT_TRUE(byName.at("host").subnets.empty());
  EXPECT_EQ(byName.at("none").driver, "null");
  EXPECT_THROW(parseNetwork("[]"), std::runtime_error);
}

TEST(DockerInspect, BridgeContainer) {
  Container c = parseInspect(slurp("docker-inspect-cap1.json"));
  EXPECT_EQ(c.name, "cap1");
  EXPECT_TRUE(c.running);
  EXPECT_GT(c.pid, 0);
  EXPECT_EQ(c.networkMode, "default");
  EXPECT_FALSE(c.hostNetwork());
  EXPECT_EQ(c.sharedWith(), "");
  EXPECT_EQ(c.sandboxKey.rfind("/run/netvrf-test/docker/netns/", 0), 0u);
  EXPECT_EQ(c.labels.at("netvrf.vrf"), "red");
  EXPECT_EQ(c.image, "netvrf-test/busybox");  // Config.Image, not the resolved sha256
}

TEST(DockerInspect, ContainerModeAndHostMode) {
  Container joined = parseInspect(slurp("docker-inspect-cap2.json"));
  EXPECT_EQ(joined.sharedWith(),
            "5a05c0553da2dd92ec4063e44180c5476c6b0d69b67007799fc584f74d91e7e5");
  EXPECT_EQ(joined.sandboxKey, "");
  Container host = parseInspect(slurp("docker-inspect-cap4.json"));
  EXPECT_TRUE(host.hostNetwork());
}

// Captured after `docker network connect nvt-capb nvt-cap2`: the interfaces are named by MAC.
TEST(DockerInspect, EachNetworkWithTheMacOfItsInterface) {
  Container c = parseInspect(slurp("docker-inspect-two-networks.json"));
  ASSERT_EQ(c.networks.size(), 2u);
  EXPECT_EQ(c.networks[0].name, "nvt-capa");
  EXPECT_EQ(c.networks[0].id, "35ac3139f4e227848d1c91b89243d2bc824de6b2bc8ca11d0d5f326630cf36b4");
  EXPECT_EQ(c.networks[0].mac, "02:42:cb:00:71:82");
  EXPECT_EQ(c.networks[1].name, "nvt-capb");
  EXPECT_EQ(c.networks[1].mac, "02:42:cb:00:71:92");
  EXPECT_TRUE(parseInspect(slurp("docker-inspect-cap4.json")).networks.size() <= 1);
}

// Captured from `docker run --network nvtports -p 8082:80 -p 127.0.0.1:8083:81 -p 5353:53/udp
// --expose 9000` on a network with IPv6: 0.0.0.0 and :: bound apart, 9000 exposed only.
TEST(DockerInspect, PublishedPortsAndAddresses) {
  Container c = parseInspect(slurp("docker-inspect-ports.json"));
  ASSERT_EQ(c.networks.size(), 1u);
  EXPECT_EQ(c.networks[0].ipv4, "203.0.113.66");
  EXPECT_EQ(c.networks[0].ipv6, "2001:db8:2::2");
  std::vector<PublishedPort> want = {{"udp", 53, "0.0.0.0", 5353}, {"udp", 53, "::", 5353},
                                     {"tcp", 80, "0.0.0.0", 8082}, {"tcp", 80, "::", 8082},
                                     {"tcp", 81, "127.0.0.1", 8083}};
  EXPECT_EQ(c.ports, want);
  EXPECT_TRUE(parseInspect(slurp("docker-inspect-two-networks.json")).ports.empty());
  // What does not parse publishes nothing.
  Container odd = parseInspect(
      R"({"Id": "x", "State": {}, "NetworkSettings": {"Ports": {"70000/tcp": [{"HostPort": "1"}],
         "80": [{"HostIp": "", "HostPort": "8080"}], "81/tcp": [{"HostPort": "-1"}],
         "82/udp": "no"}}})");
  std::vector<PublishedPort> tcp80 = {{"tcp", 80, "", 8080}};
  EXPECT_EQ(odd.ports, tcp80);
}

// Docker says which container a network's connect and disconnect concern in an attribute
// (and says a disconnect twice).
TEST(DockerEvents, ConnectAndDisconnectNameTheContainer) {
  std::vector<Event> events;
  std::istringstream lines(slurp("docker-network-connect-events.jsonl"));
  for (std::string line; std::getline(lines, line);)
    if (auto e = parseEvent(line)) events.push_back(*e);
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events[1].action, "connect");
  EXPECT_EQ(events[1].name, "nvt-capb");
  EXPECT_EQ(events[1].container,
            "913233849d81896bd49f1d94b77705e02340f2b62ddc4e57c5d6c9d95a9168eb");
  EXPECT_EQ(events[2].action, "disconnect");
  EXPECT_EQ(events[2].container, events[1].container);
}

// Podman (4.3, captured from `podman network connect nvtexp nvtexp1` and its disconnect) names
// the container as the event's actor, with no network id: the container is the actor.
TEST(PodmanEvents, ConnectAndDisconnectNameTheContainerAsTheActor) {
  std::vector<Event> events;
  std::istringstream lines(slurp("podman-network-connect-events.jsonl"));
  for (std::string line; std::getline(lines, line);)
    if (auto e = parseEvent(line)) events.push_back(*e);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].type, "network");
  EXPECT_EQ(events[0].action, "connect");
  EXPECT_EQ(events[0].container,
            "d8c726af4e18f70717a0f60c5d7db8a4de4bdb0f55f86a25af10a4a8b2be608e");
  EXPECT_EQ(events[1].action, "disconnect");
  EXPECT_EQ(events[1].container, events[0].container);
}

// Podman's own API names the bridge (its Docker-compatible one gives no bridge option).
TEST(PodmanNetwork, TheLibpodDocumentNamesTheBridgeAndTheLabels) {
  Network n = parseLibpodNetwork(slurp("podman-libpod-network-labelled.json"));
  EXPECT_EQ(n.name, "nvtlab");
  EXPECT_EQ(n.id, "ca6deeeae79ea00dcd4102ebbef24a8c764e43e4e14f3d80a091cb1269ccea75");
  EXPECT_EQ(n.bridge, "cni-podman1");
  EXPECT_EQ(n.subnets, std::vector<std::string>{"203.0.113.208/28"});
  EXPECT_EQ(n.labels, (std::map<std::string, std::string>{{"netvrf.container_vrf", "blue"}}));
  EXPECT_THROW(parseLibpodNetwork(R"({"name":"x"})"), std::runtime_error);  // no id
  EXPECT_THROW(parseLibpodNetworkList("{}"), std::runtime_error);
  std::vector<Network> list =
      parseLibpodNetworkList("[" + slurp("podman-libpod-network-labelled.json") + "]");
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].bridge, "cni-podman1");
}

TEST(DockerInspect, MalformedDocumentsThrow) {
  EXPECT_THROW(parseInspect("{"), std::runtime_error);
  EXPECT_THROW(parseInspect("{}"), std::runtime_error);
  EXPECT_THROW(parseInspect(R"({"Id":"x"})"), std::runtime_error);  // no State
}

TEST(DockerApi, ListErrorsAndSince) {
  EXPECT_EQ(parseContainerList(R"([{"Id":"a"},{"Id":"b"},{"Names":["/x"]}])"),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_THROW(parseContainerList("{}"), std::runtime_error);
  EXPECT_EQ(errorMessage(R"({"message":"No such container: x"})"), "No such container: x");
  EXPECT_EQ(errorMessage("page not found\n"), "page not found");
  EXPECT_EQ(sinceParam(1795426645849781527), "1795426645.849781527");
  EXPECT_EQ(sinceParam(1000000005), "1.000000005");
}

}  // namespace
}  // namespace netvrf::docker
