// Docker's firewall on (as users run dockerd, in the VM) and networks in host VRFs: containers
// reach the VRF's uplinks, their published ports answer on the VRF's addresses (Docker's and
// Podman's, IPv4 and IPv6), and a container attached inside keeps its ports, DNS and outbound
// connections. Part of the DockerVrfKernel.vm run (docker_vrf_fixture.hpp).
#include <gtest/gtest.h>

#include <memory>

#include "docker_vrf_fixture.hpp"

namespace netvrf::test {
namespace {

// With Docker's firewall on (as in this VM), a packet a container on a network in host VRF
// fwblue sends to the VRF's uplink reaches FORWARD from fwblue, not from the bridge: Docker's
// rules miss it and its DROP policy wins. netvrfd's chain NETVRF-FORWARD, jumped to from
// DOCKER-USER, lets it out, and follows the VRF's members.
TEST_F(DockerVrfKernel, AHostVrfNetworkReachesItsUplinkWithDockersFirewallOn) {
  Client c("nvtcl", "nvup0", "192.0.2.1", "192.0.2.2", "fwblue");
  ASSERT_TRUE(c.ok());
  const std::string& uplink = c.uplink;
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = docker_.uniqueName("fwnet");
  std::string bridge =
      createNetwork(net, {"--label", "netvrf.vrf=fwblue", "--subnet", "203.0.113.96/28"});
  ASSERT_TRUE(joins(bridge, "fwblue")) << d.log();
  ASSERT_TRUE(c.enslave("fwblue"));
  std::string name = docker_.uniqueName("fwc");
  docker_.runDetached(name, {"--network", net});
  auto reaches = [&] {
    return docker_.cli({"exec", name, "ping", "-c", "1", "-W", "2", "192.0.2.2"}).status == 0;
  };
  auto chain = [] { return run({"iptables", "-w", "-S", "NETVRF-FORWARD"}); };
  const std::string rule = "-A NETVRF-FORWARD -s 203.0.113.96/28 -i fwblue -o nvup0 -j ACCEPT";
  ASSERT_TRUE(waitUntil(reaches, 20s)) << chain().out << d.log();
  EXPECT_NE(chain().out.find(rule), std::string::npos) << chain().out;
  EXPECT_NE(run({"iptables", "-w", "-S", "DOCKER-USER"}).out.find("-j NETVRF-FORWARD"),
            std::string::npos);
  // TCP from the container's own process, UDP from its namespace, to servers behind the uplink.
  Background web({"ip", "netns", "exec", c.ns, "socat", "-d", "-d",
                  "TCP4-LISTEN:8090,reuseaddr,fork", "SYSTEM:echo hello"});
  Background echo({"ip", "netns", "exec", c.ns, "socat", "-d", "-d", "UDP4-RECVFROM:5354,fork",
                   "SYSTEM:echo pong"});
  ASSERT_TRUE(web.waitFor("listening on")) << web.output();
  ASSERT_TRUE(echo.waitFor("receiving on")) << echo.output();
  // (busybox-static's wget crashes; its nc reads the answer after stdin's end.)
  EXPECT_NE(docker_.cli({"exec", name, "sh", "-c", "nc -w 3 192.0.2.2 8090 </dev/null"})
                .out.find("hello"),
            std::string::npos)
      << web.output();
  EXPECT_NE(run({"sh", "-c",
                 "echo ping | nsenter -t " + std::to_string(docker_.pid(name)) +
                     " -n socat -T3 - UDP4:192.0.2.2:5354"})
                .out.find("pong"),
            std::string::npos)
      << echo.output();
  // A network in another host VRF reaches neither the client nor the first network.
  std::string other = docker_.uniqueName("fwred");
  std::string otherBridge =
      createNetwork(other, {"--label", "netvrf.vrf=fwred", "--subnet", "203.0.113.0/28"});
  ASSERT_TRUE(joins(otherBridge, "fwred")) << d.log();
  std::string stranger = docker_.uniqueName("fwx");
  docker_.runDetached(stranger, {"--network", other});
  std::string first =
      docker_.inspect(name, "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}");
  for (const std::string& to : {std::string("192.0.2.2"), first})
    EXPECT_NE(docker_.cli({"exec", stranger, "ping", "-c", "1", "-W", "1", to}).status, 0) << to;
  docker_.remove(stranger);
  ASSERT_EQ(docker_.cli({"network", "rm", other}).status, 0);
  EXPECT_TRUE(logSays(d, "firewall: netvrfd's chains let out fwblue: 203.0.113.96/28 to nvup0"))
      << d.log();

  // Without the rule, Docker's firewall drops it: what makes it work is netvrfd's rule.
  ASSERT_EQ(run({"iptables", "-w", "-F", "NETVRF-FORWARD"}).status, 0);
  EXPECT_FALSE(reaches());
  // The uplink leaves the VRF (the rules go) and comes back (they are made again).
  ASSERT_EQ(run({"ip", "link", "set", uplink, "nomaster"}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return chain().status != 0; }, 10s)) << chain().out << d.log();
  ASSERT_TRUE(c.enslave("fwblue"));
  EXPECT_TRUE(waitUntil(reaches, 20s)) << chain().out << d.log();
  // The network detached from fwblue by hand: its rule goes; attached again: back.
  Result detached = netvrfctl(bus, {"network", "detach", net});
  ASSERT_EQ(detached.status, 0) << detached.out;
  EXPECT_TRUE(waitUntil([&] { return chain().status != 0; }, 10s)) << chain().out << d.log();
  Result attached = netvrfctl(bus, {"network", "attach", net, "--vrf", "fwblue"});
  ASSERT_EQ(attached.status, 0) << attached.out;
  EXPECT_TRUE(waitUntil(reaches, 20s)) << chain().out << d.log();
  EXPECT_NE(chain().out.find(rule), std::string::npos) << chain().out;

  // Killed, and the network removed meanwhile: its next start leaves nothing of netvrfd's in
  // Docker's firewall.
  d.signal(SIGKILL);
  d.wait();
  docker_.remove(name);
  ASSERT_EQ(docker_.cli({"network", "rm", net}).status, 0);
  EXPECT_EQ(chain().status, 0) << "the killed run's rules are still there";
  d.start();
  ASSERT_TRUE(d.waitReady()) << d.log();
  EXPECT_TRUE(waitUntil([&] { return chain().status != 0; }, 20s)) << chain().out << d.log();
  EXPECT_EQ(run({"iptables", "-w", "-S", "DOCKER-USER"}).out.find("NETVRF"), std::string::npos);
}

// Docker's DNAT for a published port jumps only for addresses local in the main table; a host
// VRF's addresses are local in its own. netvrfd's NETVRF-PREROUTING and NETVRF-OUTPUT (nat)
// make the published ports of a container on a network in host VRF pblue answer on the VRF's
// addresses: from a client behind its uplink and from the host with `ip vrf exec`, TCP and UDP,
// through a dockerd restart; a port bound to 127.0.0.1 stays off the VRF; the rules follow the
// container and leave nothing behind.
TEST_F(DockerVrfKernel, PublishedPortsOfAHostVrfNetworkAnswerOnTheVrfsAddresses) {
  const char* services = std::getenv("NETVRF_TEST_SERVICES");
  NETVRF_REQUIRE(services
                     ? std::nullopt
                     : std::optional<std::string>("needs NETVRF_TEST_SERVICES to restart dockerd"));
  Client c("nvpcl", "nvup1", "192.0.2.17", "192.0.2.18", "pblue");
  ASSERT_TRUE(c.ok());
  const std::string& client = c.ns;
  SystemBus bus;
  Netvrfd d("", {bus.env()});
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = docker_.uniqueName("pnet");
  std::string bridge =
      createNetwork(net, {"--label", "netvrf.vrf=pblue", "--subnet", "203.0.113.112/28"});
  ASSERT_TRUE(joins(bridge, "pblue")) << d.log();
  ASSERT_TRUE(c.enslave("pblue"));
  std::string name = docker_.uniqueName("pweb");
  docker_.runDetached(
      name, {"--network", net, "-p", "8082:80", "-p", "5353:53/udp", "-p", "127.0.0.1:8083:81"},
      {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/"});
  // A UDP echo in the container's namespace (the image has no UDP server).
  auto udpServer = [&] {
    auto b = std::make_unique<Background>(
        std::vector<std::string>{"nsenter", "-t", std::to_string(docker_.pid(name)), "-n", "socat",
                                 "-d", "-d", "UDP4-RECVFROM:53,fork", "SYSTEM:echo pong"});
    EXPECT_TRUE(b->waitFor("receiving on")) << b->output();
    return b;
  };
  auto udp = udpServer();
  auto tcp = [&](std::vector<std::string> via, const std::string& to) {
    via.insert(via.end(), {"curl", "-s", "-m", "3", "-o", "/dev/null", "http://" + to + "/"});
    return run(via).status == 0;  // any HTTP answer: the connection was made
  };
  auto udpAnswers = [&](const std::string& via) {
    return run({"sh", "-c", "echo ping | " + via + " socat -T3 - UDP4:192.0.2.17:5353"})
               .out.find("pong") != std::string::npos;
  };
  const std::vector<std::string> fromClient = {"ip", "netns", "exec", client};
  const std::vector<std::string> fromHost = {"ip", "vrf", "exec", "pblue"};
  auto nat = [](const std::string& chain) {
    return run({"iptables", "-w", "-t", "nat", "-S", chain});
  };
  ASSERT_TRUE(waitUntil([&] { return tcp(fromClient, "192.0.2.17:8082"); }, 20s))
      << nat("NETVRF-PREROUTING").out << d.log();
  EXPECT_TRUE(tcp(fromHost, "192.0.2.17:8082")) << nat("NETVRF-OUTPUT").out;
  EXPECT_TRUE(udpAnswers("ip netns exec " + client)) << udp->output();
  EXPECT_TRUE(udpAnswers("ip vrf exec pblue")) << udp->output();
  // The port bound to 127.0.0.1 is the main table's only.
  EXPECT_FALSE(tcp(fromClient, "192.0.2.17:8083"));
  EXPECT_EQ(nat("NETVRF-PREROUTING").out.find("8083"), std::string::npos);
  // As the README shows them.
  std::string cip =
      docker_.inspect(name, "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}");
  EXPECT_NE(nat("NETVRF-PREROUTING")
                .out.find("-A NETVRF-PREROUTING -i nvup1 -p tcp -m addrtype --dst-type LOCAL "
                          "--limit-iface-in -m tcp --dport 8082 -j DNAT --to-destination " +
                          cip + ":80"),
            std::string::npos)
      << nat("NETVRF-PREROUTING").out;
  EXPECT_NE(nat("NETVRF-OUTPUT")
                .out.find("-A NETVRF-OUTPUT -d 192.0.2.17/32 -o pblue -p tcp -m "
                          "tcp --dport 8082 -j DNAT --to-destination " +
                          cip + ":80"),
            std::string::npos)
      << nat("NETVRF-OUTPUT").out;
  // netvrfctl status says where each answers.
  Result status = netvrfctl(bus, {"status", name});
  EXPECT_NE(status.out.find("0.0.0.0:8082/tcp -> 80: VRF pblue on 192.0.2.17"), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("0.0.0.0:5353/udp -> 53: VRF pblue on 192.0.2.17"), std::string::npos)
      << status.out;
  EXPECT_NE(status.out.find("127.0.0.1:8083/tcp -> 81: main table"), std::string::npos)
      << status.out;
  EXPECT_NE(
      run({"iptables", "-w", "-t", "nat", "-S", "PREROUTING"}).out.find("-j NETVRF-PREROUTING"),
      std::string::npos);
  EXPECT_TRUE(logSays(d, "; published 5353/udp -> ")) << d.log();
  EXPECT_TRUE(logSays(d, ", 8082/tcp -> ")) << d.log();
  // Without netvrfd's rules it does not answer: they are what makes it work.
  ASSERT_EQ(run({"iptables", "-w", "-t", "nat", "-F", "NETVRF-PREROUTING"}).status, 0);
  EXPECT_FALSE(tcp(fromClient, "192.0.2.17:8082"));

  // dockerd restarts (its containers live on): its chains are made anew, netvrfd's put back.
  ASSERT_EQ(run({services, "restart-docker"}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return tcp(fromClient, "192.0.2.17:8082"); }, 30s))
      << nat("NETVRF-PREROUTING").out << d.log();
  EXPECT_TRUE(udpAnswers("ip netns exec " + client)) << udp->output();

  // Stopped: its rules go; started again: back.
  udp.reset();
  ASSERT_EQ(docker_.cli({"stop", "-t", "1", name}).status, 0);
  EXPECT_TRUE(waitUntil(
      [&] { return nat("NETVRF-PREROUTING").out.find("8082") == std::string::npos; }, 10s))
      << nat("NETVRF-PREROUTING").out;
  ASSERT_EQ(docker_.cli({"start", name}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return tcp(fromClient, "192.0.2.17:8082"); }, 20s))
      << nat("NETVRF-PREROUTING").out << d.log();

  // Killed, and the container removed meanwhile: the next run drops its rules.
  d.signal(SIGKILL);
  d.wait();
  docker_.remove(name);
  EXPECT_NE(nat("NETVRF-PREROUTING").out.find("8082"), std::string::npos);
  d.start();
  ASSERT_TRUE(d.waitReady()) << d.log();
  EXPECT_TRUE(waitUntil(
      [&] { return nat("NETVRF-PREROUTING").out.find("8082") == std::string::npos; }, 20s))
      << nat("NETVRF-PREROUTING").out << d.log();
  // The network goes: nothing of netvrfd's is left in either table.
  ASSERT_EQ(docker_.cli({"network", "rm", net}).status, 0);
  EXPECT_TRUE(waitUntil(
      [&] { return run({"iptables-save"}).out.find("NETVRF") == std::string::npos; }, 20s))
      << run({"iptables-save"}).out << d.log();
}

// IPv6 the same way, with dockerd as Debian runs it (no --ip6tables: Docker writes no IPv6
// rules and serves the port with its proxy in the main table): netvrfd's ip6tables rules,
// jumped to from FORWARD and nat PREROUTING/OUTPUT, make the port answer on the VRF's IPv6
// address, to the container's IPv6 address.
TEST_F(DockerVrfKernel, PublishedPortsAnswerOverIpv6InAHostVrf) {
  Client c("nv6cl", "nvup3", "192.0.2.65", "192.0.2.66", "p6blue");
  ASSERT_TRUE(c.ok());
  // Docker's documentation has users turn IPv6 forwarding on for IPv6 networks.
  ASSERT_EQ(run({"sysctl", "-qw", "net.ipv6.conf.all.forwarding=1"}).status, 0);
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = docker_.uniqueName("p6net");
  std::string bridge = createNetwork(net, {"--label", "netvrf.vrf=p6blue", "--ipv6", "--subnet",
                                           "203.0.113.16/28", "--subnet", "2001:db8:14::/64"});
  ASSERT_TRUE(joins(bridge, "p6blue")) << d.log();
  ASSERT_TRUE(c.enslave("p6blue"));
  // After enslaving: taking the link down and up for the VRF drops IPv6 addresses.
  ASSERT_EQ(run({"ip", "addr", "add", "2001:db8:15::1/64", "dev", c.uplink, "nodad"}).status, 0);
  ASSERT_EQ(
      run({"ip", "-n", c.ns, "addr", "add", "2001:db8:15::2/64", "dev", c.uplink + "c", "nodad"})
          .status,
      0);
  ASSERT_EQ(
      run({"ip", "-n", c.ns, "-6", "route", "add", "default", "via", "2001:db8:15::1"}).status, 0);
  std::string name = docker_.uniqueName("p6web");
  docker_.runDetached(name, {"--network", net, "-p", "8085:80"},
                      {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/"});
  std::string cip6 = docker_.inspect(
      name, "{{(index .NetworkSettings.Networks \"" + net + "\").GlobalIPv6Address}}");
  ASSERT_TRUE(cip6.starts_with("2001:db8:14:")) << cip6;
  auto tcp = [&](std::vector<std::string> via) {
    via.insert(via.end(),
               {"curl", "-g", "-s", "-m", "3", "-o", "/dev/null", "http://[2001:db8:15::1]:8085/"});
    return run(via).status == 0;
  };
  auto nat6 = [] { return run({"ip6tables-save", "-t", "nat"}).out; };
  ASSERT_TRUE(waitUntil(
      [&] {
        return tcp({"ip", "netns", "exec", c.ns});
      },
      20s))
      << nat6() << d.log();
  EXPECT_TRUE(tcp({"ip", "vrf", "exec", "p6blue"})) << nat6();
  EXPECT_NE(nat6().find("--dport 8085 -j DNAT --to-destination [" + cip6 + "]:80"),
            std::string::npos)
      << nat6();
  EXPECT_NE(run({"ip6tables", "-w", "-S", "FORWARD"}).out.find("-j NETVRF-FORWARD"),
            std::string::npos);
  // Without netvrfd's rules it does not answer (Docker's proxy listens in the main table).
  ASSERT_EQ(run({"ip6tables", "-w", "-t", "nat", "-F", "NETVRF-PREROUTING"}).status, 0);
  EXPECT_FALSE(tcp({"ip", "netns", "exec", c.ns}));
  // Gone with the container and the network: nothing of netvrfd's left in ip6tables.
  docker_.remove(name);
  ASSERT_EQ(docker_.cli({"network", "rm", net}).status, 0);
  EXPECT_TRUE(waitUntil(
      [&] { return run({"ip6tables-save"}).out.find("NETVRF") == std::string::npos; }, 20s))
      << run({"ip6tables-save"}).out << d.log();
}

// Podman's published ports have the same trouble (CNI's portmap jumps only for addresses local
// in the main table), and more on a host with Docker: Podman's own FORWARD rules let in only
// replies, Docker's policy drops the rest. netvrfd's rules make a port of a Podman container on
// a network in host VRF qblue answer through the uplink and by `ip vrf exec`, and its container
// reach the client; they follow the container.
TEST_F(DockerVrfKernel, PodmanPublishedPortsAnswerInAHostVrfToo) {
  NETVRF_REQUIRE(missingPodman());
  Docker podman = Docker::podman();
  Client c("nvqcl", "nvup2", "192.0.2.49", "192.0.2.50", "qblue");
  ASSERT_TRUE(c.ok());
  Netvrfd d(R"({"containerd": {"enabled": false}})");
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = podman.uniqueName("qnet");
  std::string bridge =
      podman.createNetwork(net, {"--label", "netvrf.vrf=qblue", "--subnet", "203.0.113.80/28"});
  std::string name = podman.uniqueName("qweb");
  podman.runDetached(name, {"--network", net, "-p", "8084:80"},
                     {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/"});
  ASSERT_TRUE(joins(bridge, "qblue")) << d.log();
  ASSERT_TRUE(c.enslave("qblue"));
  auto tcp = [&](std::vector<std::string> via) {
    via.insert(via.end(), {"curl", "-s", "-m", "3", "-o", "/dev/null", "http://192.0.2.49:8084/"});
    return run(via).status == 0;
  };
  const std::vector<std::string> fromClient = {"ip", "netns", "exec", c.ns};
  auto chains = [] { return run({"iptables-save"}).out; };
  ASSERT_TRUE(waitUntil([&] { return tcp(fromClient); }, 20s)) << chains() << d.log();
  EXPECT_TRUE(tcp({"ip", "vrf", "exec", "qblue"})) << chains();
  EXPECT_EQ(podman.cli({"exec", name, "ping", "-c", "1", "-W", "2", "192.0.2.50"}).status, 0)
      << chains();
  EXPECT_NE(chains().find("-A NETVRF-FORWARD -d 203.0.113.8"), std::string::npos) << chains();
  // Without netvrfd's FORWARD rules Docker's policy drops the translated packets.
  ASSERT_EQ(run({"iptables", "-w", "-F", "NETVRF-FORWARD"}).status, 0);
  EXPECT_FALSE(tcp(fromClient));
  // Stopped: its rules go (all of them: the network's uplink rule stays for the bridge).
  ASSERT_EQ(podman.cli({"stop", "-t", "1", name}).status, 0);
  EXPECT_TRUE(waitUntil([&] { return chains().find("8084") == std::string::npos; }, 10s))
      << chains() << d.log();
  podman.remove(name);
  run({"ip", "link", "del", "qblue"});  // Podman reports no network removal (README)
}

// A container attached inside (its eth0 in VRF red in its own namespace) keeps what Docker gives
// it, with Docker's firewall on: its published TCP and UDP ports answer from outside and from
// the host's loopback (Docker's DNAT and proxy reach eth0 from the host's main table; the
// replies leave through red), Docker's embedded DNS answers on a user network, and `docker
// exec` processes connect out; unmodified processes bind to no VRF, so this holds through
// l3mdev_accept and the steering rule. With netvrf.strict=true they are left outside red: the
// published port no longer answers, DNS (on loopback) still does.
TEST_F(DockerVrfKernel, AContainerAttachedInsideKeepsItsPortsDnsAndOutboundConnections) {
  Client c("nvicl", "nvin0", "192.0.2.33", "192.0.2.34");
  ASSERT_TRUE(c.ok());
  const std::string& client = c.ns;
  Netvrfd d;
  ASSERT_TRUE(d.startReady()) << d.log();
  std::string net = docker_.uniqueName("inet");
  createNetwork(net, {"--subnet", "203.0.113.128/28"});
  std::string peer = docker_.uniqueName("ipeer"), web = docker_.uniqueName("iweb"),
              strictWeb = docker_.uniqueName("istrict");
  docker_.runDetached(peer, {"--network", net});
  const std::vector<std::string> httpd = {"/bin/busybox", "httpd", "-f", "-p", "80", "-h", "/"};
  docker_.runDetached(
      web, {"--network", net, "--label", "netvrf.vrf=red", "-p", "8084:80", "-p", "5354:53/udp"},
      httpd);
  docker_.runDetached(strictWeb,
                      {"--network", net, "--label", "netvrf.vrf=red", "--label",
                       "netvrf.strict=true", "-p", "8085:80"},
                      httpd);
  ASSERT_TRUE(waitUntil(
      [&] { return masterOf(web, "eth0") == "red" && masterOf(strictWeb, "eth0") == "red"; }, 30s))
      << d.log();
  Background udp({"nsenter", "-t", std::to_string(docker_.pid(web)), "-n", "socat", "-d", "-d",
                  "UDP4-RECVFROM:53,fork", "SYSTEM:echo pong"});
  ASSERT_TRUE(udp.waitFor("receiving on")) << udp.output();
  auto tcp = [](std::vector<std::string> via, const std::string& to) {
    via.insert(via.end(), {"curl", "-s", "-m", "3", "-o", "/dev/null", "http://" + to + "/"});
    return run(via).status == 0;
  };
  auto udpAnswers = [](const std::string& via, const std::string& to) {
    return run({"sh", "-c", "echo ping | " + via + " socat -T3 - UDP4:" + to}).out.find("pong") !=
           std::string::npos;
  };
  const std::vector<std::string> fromClient = {"ip", "netns", "exec", client};
  EXPECT_TRUE(tcp(fromClient, "192.0.2.33:8084"));
  EXPECT_TRUE(tcp({}, "127.0.0.1:8084"));
  EXPECT_TRUE(udpAnswers("ip netns exec " + client, "192.0.2.33:5354")) << udp.output();
  EXPECT_TRUE(udpAnswers("", "127.0.0.1:5354")) << udp.output();
  // Docker's embedded DNS, from a docker exec process.
  std::string peerIp =
      docker_.inspect(peer, "{{(index .NetworkSettings.Networks \"" + net + "\").IPAddress}}");
  Result dns = docker_.cli({"exec", web, "nslookup", peer, "127.0.0.11"});
  EXPECT_NE(dns.out.find(peerIp), std::string::npos)
      << dns.out << docker_.cli({"exec", web, "cat", "/etc/resolv.conf"}).out;
  // Out to a client behind the host.
  Background server({"ip", "netns", "exec", client, "socat", "-d", "-d",
                     "TCP4-LISTEN:7070,fork,reuseaddr", "SYSTEM:echo hello"});
  ASSERT_TRUE(server.waitFor("listening on")) << server.output();
  Result out = docker_.cli({"exec", web, "nc", "-w", "3", "192.0.2.34", "7070"});
  EXPECT_NE(out.out.find("hello"), std::string::npos) << out.out;

  // Strict: unbound sockets stay outside red.
  EXPECT_FALSE(tcp(fromClient, "192.0.2.33:8085"));
  EXPECT_FALSE(tcp({}, "127.0.0.1:8085"));
  Result strictDns = docker_.cli({"exec", strictWeb, "nslookup", peer, "127.0.0.11"});
  EXPECT_NE(strictDns.out.find(peerIp), std::string::npos) << strictDns.out;
  Result strictOut = docker_.cli({"exec", strictWeb, "nc", "-w", "3", "192.0.2.34", "7070"});
  EXPECT_EQ(strictOut.out.find("hello"), std::string::npos) << strictOut.out;
}

}  // namespace
}  // namespace netvrf::test
