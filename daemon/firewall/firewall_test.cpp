#include "firewall/firewall.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <deque>

namespace netvrf {
namespace {

using namespace std::chrono_literals;

// The attach worker's side of the firewall: records what it is asked to write and answers, on
// the loop thread as the real one does, with the next outcome the test gave (success when none
// is left).
class FakeWorker : public Worker {
 public:
  explicit FakeWorker(EventLoop& loop) : loop_(loop) {}
  void submit(Job job) override {
    auto& j = std::get<job::Firewall>(job);
    writes.push_back(j);
    bool ok = outcomes.empty() || outcomes.front();
    if (!outcomes.empty()) outcomes.pop_front();
    pending_.push_back(loop_.addTimer(0ms, [this, then = j.then, ok] {
      ++answered;
      then(ok ? Done<bool>{true, {}, {}} : Done<bool>::failed("iptables-restore: broken"));
    }));
  }
  std::vector<job::Firewall> writes;
  std::deque<bool> outcomes;
  int answered = 0;

 private:
  EventLoop& loop_;
  std::vector<EventLoop::Source> pending_;
};

struct Fixture {
  EventLoop loop;
  FakeWorker worker{loop};
  Networks networks{[] {}};
  std::vector<HostVrf> vrfs = {{"blue", 1001, {"br-a", "up0"}, true, {"192.0.2.1"}}};
  int retries = 0;
  Firewall firewall{loop,
                    [this] {
                      ++retries;
                      firewall.update(vrfs, networks, {});
                    },
                    10ms};
  Fixture() {
    networks.onNetwork({"docker", "n1", "net1", "br-a", {}, {"203.0.113.64/28"}});
    firewall.setWorker(&worker);
  }
  // Runs the loop (once: sd-event runs a loop to its end only once) through `steps`, each an
  // action taken when its condition first holds (checked every 5 ms); false when 10 s passed
  // first. `settled` as a condition: 100 ms since the step before, longer than any retry the
  // tests cause.
  struct Step {
    std::function<bool()> when;
    std::function<void()> then = [] {};
  };
  bool run(std::vector<Step> steps) {
    auto start = std::chrono::steady_clock::now(), deadline = start + 10s;
    lastStep = start;
    size_t next = 0;
    std::function<void()> check;
    std::vector<EventLoop::Source> ticks;  // none freed from its own callback
    check = [&] {
      while (next < steps.size() && steps[next].when()) {
        steps[next++].then();
        lastStep = std::chrono::steady_clock::now();
      }
      if (next == steps.size() || std::chrono::steady_clock::now() > deadline)
        loop.exit(0);
      else
        ticks.push_back(loop.addTimer(5ms, check));
    };
    ticks.push_back(loop.addTimer(0ms, check));
    loop.run();
    return next == steps.size();
  }
  std::function<bool()> settled = [this] {
    return std::chrono::steady_clock::now() - lastStep > 100ms;
  };
  std::chrono::steady_clock::time_point lastStep;
};

TEST(Firewall, AFailedWriteIsTriedAgainWholeByItself) {
  Fixture f;
  f.worker.outcomes = {false, false};
  f.firewall.update(f.vrfs, f.networks, {});
  ASSERT_EQ(f.worker.writes.size(), 1u);
  EXPECT_TRUE(f.worker.writes[0].full);
  EXPECT_EQ(f.worker.writes[0].ipv4.forward,
            (std::vector<std::string>{"-i blue -s 203.0.113.64/28 -o up0 -j ACCEPT"}));
  // Nothing else changes: the two failures are retried by the timer, the third write holds,
  // and then nothing more is written.
  ASSERT_TRUE(f.run({{[&] { return f.worker.writes.size() == 3; }}, {f.settled}}));
  EXPECT_EQ(f.retries, 2);
  ASSERT_EQ(f.worker.writes.size(), 3u);
  EXPECT_TRUE(f.worker.writes[1].full);
  EXPECT_TRUE(f.worker.writes[2].full);
  EXPECT_EQ(f.worker.writes[2].ipv4, f.worker.writes[0].ipv4);
  f.firewall.update(f.vrfs, f.networks, {});  // the same rules: not written again
  EXPECT_EQ(f.worker.writes.size(), 3u);
}

TEST(Firewall, AChangeBeforeTheRetryIsWrittenAndTheRetryDropped) {
  Fixture f;
  f.worker.outcomes = {false};
  f.firewall.update(f.vrfs, f.networks, {});
  ASSERT_TRUE(f.run({{[&] { return f.worker.answered == 1; },
                      [&] {
                        // The uplink left before the retry came: written at once, whole.
                        f.vrfs[0].interfaces = {"br-a"};
                        f.firewall.update(f.vrfs, f.networks, {});
                      }},
                     {f.settled}}));
  ASSERT_EQ(f.worker.writes.size(), 2u);
  EXPECT_TRUE(f.worker.writes[1].full);
  EXPECT_TRUE(f.worker.writes[1].ipv4.empty());
  EXPECT_EQ(f.retries, 0);
}

TEST(Firewall, OnlyTheFirstWriteAndDockersRestartAreWhole) {
  Fixture f;
  f.firewall.update(f.vrfs, f.networks, {});
  f.vrfs[0].interfaces.push_back("up1");
  f.firewall.update(f.vrfs, f.networks, {});
  f.firewall.update(f.vrfs, f.networks, {}, /*again=*/true);
  ASSERT_EQ(f.worker.writes.size(), 3u);
  EXPECT_TRUE(f.worker.writes[0].full);
  EXPECT_FALSE(f.worker.writes[1].full);
  EXPECT_EQ(f.worker.writes[1].ipv4.forward.size(), 2u);
  EXPECT_TRUE(f.worker.writes[2].full);
}

// A container's published ports, from what the runtime says to rules and to what `netvrfctl
// status` shows: on a network whose bridge is in blue they answer on blue's addresses (through
// FORWARD to the container's port), one bound to 127.0.0.1 stays the main table's.
TEST(Firewall, PublishedPortsOfAContainerOnANetworkInAHostVrf) {
  Fixture f;
  ContainerInfo web{"docker",
                    "c1",
                    "web",
                    {},
                    false,
                    "",
                    "busybox",
                    {{"n1", "net1", "", "203.0.113.66", ""}},
                    {{"tcp", 80, "", 8082}, {"tcp", 81, "127.0.0.1", 8083}}};
  std::vector<PortView> views = portViews(f.vrfs, f.networks, web);
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[0].vrf, "blue");
  EXPECT_EQ(views[0].addresses, (std::vector<std::string>{"192.0.2.1"}));
  EXPECT_EQ(views[1].vrf, "");
  EXPECT_TRUE(views[1].addresses.empty());
  f.firewall.update(f.vrfs, f.networks, {&web});
  ASSERT_EQ(f.worker.writes.size(), 1u);
  const Ruleset& r = f.worker.writes[0].ipv4;
  EXPECT_EQ(r.prerouting,
            (std::vector<std::string>{"-i up0 -m addrtype --dst-type LOCAL --limit-iface-in -p tcp "
                                      "--dport 8082 -j DNAT --to-destination 203.0.113.66:80"}));
  EXPECT_EQ(r.output, (std::vector<std::string>{"-o blue -d 192.0.2.1 -p tcp --dport 8082 -j "
                                                "DNAT --to-destination 203.0.113.66:80"}));
  EXPECT_EQ(r.forward, (std::vector<std::string>{
                           "-i blue -s 203.0.113.64/28 -o up0 -j ACCEPT",
                           "-i blue -o br-a -d 203.0.113.66 -p tcp --dport 80 -m conntrack "
                           "--ctstate DNAT -j ACCEPT"}));
  EXPECT_TRUE(f.worker.writes[0].ipv6.empty());
  // It stops: its rules go, the network's stay.
  f.firewall.update(f.vrfs, f.networks, {});
  ASSERT_EQ(f.worker.writes.size(), 2u);
  EXPECT_EQ(f.worker.writes[1].ipv4.forward.size(), 1u);
  EXPECT_TRUE(f.worker.writes[1].ipv4.prerouting.empty());
}

}  // namespace
}  // namespace netvrf
