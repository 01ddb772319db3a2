// The manager's reconcile step driven directly, with a fake attach worker: what it asks of the
// worker when a container starts, when a job ends, when the policies are reloaded (also while
// a job is under way), and what it never takes back. The namespaces and their mounts are real
// (a child process in a namespace of its own, entries in a scratch netns directory); only the
// kernel's VRF work is answered by the test, so each case runs in milliseconds on any kernel.
// The same paths with real VRFs: PoliciesKernel.* and RequestsKernel.* (in the VM).
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <deque>
#include <nlohmann/json.hpp>

#include "attach/jobs.hpp"
#include "harness.hpp"
#include "manager.hpp"
#include "netns/pin.hpp"

namespace netvrf::test {
namespace {

// Keeps the jobs it is given until the test answers them, in order, as the real worker would.
class FakeWorker : public Worker {
 public:
  void submit(Job job) override {
    if (auto* a = std::get_if<job::Attach>(&job)) asked.push_back(a->request);
    jobs_.push_back(std::move(job));
  }
  std::vector<InsideRequest> asked;  // every attach it was given, in order

  // The jobs not answered yet, as "attach red", "detach red", "attach-host blue"...
  std::vector<std::string> queued() const {
    std::vector<std::string> out;
    for (const Job& j : jobs_) out.push_back(describe(j));
    return out;
  }

  // Answers the oldest job: it worked (as the kernel would have done it), or it failed.
  void succeed() {
    ASSERT_FALSE(jobs_.empty());
    Job j = std::move(jobs_.front());
    jobs_.pop_front();
    std::visit([](auto& job) { answer(job); }, j);
  }
  // Answers the oldest job, a check, with what the kernel was found to hold.
  void found(CheckResult r) {
    ASSERT_FALSE(jobs_.empty());
    auto* check = std::get_if<job::Check>(&jobs_.front());
    ASSERT_TRUE(check) << describe(jobs_.front());
    Then<CheckResult> then = std::move(check->then);
    jobs_.pop_front();
    if (then) then(Done<CheckResult>{std::move(r), {}, {}});
  }
  void fail(const std::string& why) {
    ASSERT_FALSE(jobs_.empty());
    Job j = std::move(jobs_.front());
    jobs_.pop_front();
    std::visit([&](auto& job) { failThen(job.then, why); }, j);
  }

 private:
  static std::string describe(const Job& j) {
    return std::visit(
        [](const auto& job) -> std::string {
          using T = std::decay_t<decltype(job)>;
          if constexpr (std::is_same_v<T, job::Attach>) return "attach " + job.request.vrf;
          if constexpr (std::is_same_v<T, job::Detach>) return "detach " + job.vrf.value_or("*");
          if constexpr (std::is_same_v<T, job::AttachHost>) return "attach-host " + job.leg.vrf;
          if constexpr (std::is_same_v<T, job::DetachHost>) return "detach-host " + job.leg.vrf;
          if constexpr (std::is_same_v<T, job::Check>) return "check " + job.vrf;
          return "other";
        },
        j);
  }
  template <typename V>
  static void failThen(Then<V>& then, const std::string& why) {
    if (then) then(Done<V>::failed(why));
  }
  static void answer(job::Attach& j) {
    job::Attach::Result r;
    r.attached.vrf.name = j.request.vrf;
    r.attached.vrf.table = uint32_t(j.request.table.value_or(1001));
    r.attached.interfaces = {"eth0"};
    if (j.then) j.then(Done<job::Attach::Result>{r, {}, {}});
  }
  static void answer(job::Detach& j) {
    InsideDetachResult r;
    r.vrfs = {j.vrf.value_or("red")};
    if (j.then) j.then(Done<InsideDetachResult>{r, {}, {}});
  }
  static void answer(job::AttachHost& j) {
    HostSideResult r;
    r.vrf.name = j.leg.vrf;
    r.vrf.table = 1002;
    r.hostIfname = j.leg.hostIfname;
    if (j.then) j.then(Done<HostSideResult>{r, {}, {}});
  }
  static void answer(job::DetachHost& j) {
    if (j.then) j.then(Done<bool>{true, {}, {}});
  }
  template <typename T>
  static void answer(T& j) {
    failThen(j.then, "not answered by this fake");
  }

  std::deque<Job> jobs_;
};

// A process in a network namespace of its own, standing for a container's first process.
class Sandbox {
 public:
  Sandbox() {
    int ready[2];
    if (pipe(ready) != 0) throw std::runtime_error("pipe");
    pid_ = fork();
    if (pid_ == 0) {
      close(ready[0]);
      if (unshare(CLONE_NEWNET) != 0) _exit(1);
      (void)!write(ready[1], "x", 1);
      pause();
      _exit(0);
    }
    close(ready[1]);
    char c;
    bool ok = read(ready[0], &c, 1) == 1;
    close(ready[0]);
    if (!ok) throw std::runtime_error("the sandbox process did not get a namespace");
  }
  ~Sandbox() {
    kill(pid_, SIGKILL);
    waitpid(pid_, nullptr, 0);
  }
  pid_t pid() const { return pid_; }

 private:
  pid_t pid_ = -1;
};

Policy policy(const std::string& json) {
  return parsePolicy(nlohmann::json::parse(json));
}

class Targets : public ::testing::Test {
 protected:
  void SetUp() override {
    NETVRF_REQUIRE(missingRoot());
    config_.netnsDir = dir_.path() + "/netns";
    config_.stateDir = dir_.path() + "/state";
    netnsDir_.emplace(config_.netnsDir);
    netnsDir_->prepare();
    store_.emplace(config_.stateDir);
    store_->prepare();
    requests_.emplace(dir_.path() + "/requests.json");
    sandboxes_.emplace(config_.stateDir);
  }
  void TearDown() override {
    if (manager_) manager_->removeAll();
    manager_.reset();
    umount2(config_.netnsDir.c_str(), MNT_DETACH);
  }

  Manager& manager() {
    if (!manager_) {
      manager_.emplace(loop_, *netnsDir_, *store_, *requests_, *sandboxes_, config_);
      manager_->setWorker(&worker_);
    }
    return *manager_;
  }

  // Container `name` starts (its runtime says so), in `box`'s namespace.
  void starts(const std::string& name, const Sandbox& box,
              std::map<std::string, std::string> labels = {},
              std::vector<ContainerNetwork> networks = {}) {
    ContainerRunning r;
    r.info.runtime = "docker";
    r.info.id = idOf(name);
    r.info.name = name;
    r.info.labels = std::move(labels);
    r.info.networks = std::move(networks);
    r.info.image = "netvrf-test/busybox:v2";
    r.pin = pinNetns(box.pid(), std::nullopt);
    manager().handle(std::move(r));
  }
  static std::string idOf(const std::string& name) {
    std::string id = name;
    id.resize(64, '0');
    return id;
  }
  // The loop runs for `time`: link notifications are heard, and their checks asked for. Once
  // per test (an sd-event loop that exited does not run again).
  void runLoop(std::chrono::milliseconds time) {
    auto stop = loop_.addTimer(time, [this] { loop_.exit(0); });
    loop_.run();
  }
  ContainerView view(const std::string& name) {
    auto v = manager().container("docker/" + idOf(name));
    EXPECT_TRUE(v) << name << " is not followed";
    return v.value_or(ContainerView{});
  }

  TempDir dir_;
  Config config_;
  EventLoop loop_;
  std::optional<NetnsDir> netnsDir_;
  std::optional<OwnershipStore> store_;
  std::optional<RequestStore> requests_;
  std::optional<SandboxStore> sandboxes_;
  FakeWorker worker_;
  std::optional<Manager> manager_;
};

using Queued = std::vector<std::string>;

TEST_F(Targets, APolicyAttachesAContainerWhenItStarts) {
  config_.policies = {policy(R"({"match": {"name": "web*"}, "vrf": "red"})")};
  Sandbox web1, db1;
  starts("web1", web1);
  starts("db1", db1);
  EXPECT_EQ(worker_.queued(), Queued{"attach red"});
  ContainerView v = view("web1");
  EXPECT_EQ(v.state, "registered");
  EXPECT_EQ(v.attach, "pending");
  EXPECT_EQ(v.wantedVrf, "red");
  EXPECT_EQ(v.wantedFrom, "policy 0");
  worker_.succeed();
  EXPECT_EQ(view("web1").attach, "attached");
  EXPECT_EQ(view("web1").vrf, "red");
  EXPECT_EQ(view("db1").attach, "none");
  EXPECT_EQ(worker_.queued(), Queued{});
}

// Was lost before the reconcile step: a reload while the old policy's attach was under way left
// the container as the old policy said until the next reload.
TEST_F(Targets, AReloadWhileAnAttachIsUnderWayIsAppliedWhenItEnds) {
  config_.policies = {policy(R"({"match": {"name": "web*"}, "vrf": "red"})")};
  Sandbox web1;
  starts("web1", web1);
  ASSERT_EQ(worker_.queued(), Queued{"attach red"});
  config_.policies = {policy(R"({"match": {"name": "web*"}, "vrf": "green"})")};
  manager().reconcileAll();
  EXPECT_EQ(worker_.queued(), Queued{"attach red"}) << "nothing more while the attach runs";
  worker_.succeed();
  EXPECT_EQ(worker_.queued(), (Queued{"detach red", "attach green"}));
  worker_.succeed();
  worker_.succeed();
  EXPECT_EQ(view("web1").vrf, "green");
  EXPECT_EQ(view("web1").attach, "attached");
  EXPECT_EQ(worker_.queued(), Queued{});
}

TEST_F(Targets, AReloadTakesBackOnlyWhatAPolicyAttached) {
  config_.policies = {policy(R"({"match": {"name": "*"}, "vrf": "blue"})")};
  Sandbox labelled, matched;
  starts("labelled", labelled, {{"netvrf.vrf", "red"}});
  starts("matched", matched);
  EXPECT_EQ(worker_.queued(), (Queued{"attach red", "attach blue"}));
  worker_.succeed();
  worker_.succeed();
  config_.policies.clear();
  manager().reconcileAll();
  EXPECT_EQ(worker_.queued(), Queued{"detach blue"});
  worker_.succeed();
  EXPECT_EQ(view("matched").attach, "none");
  EXPECT_EQ(view("matched").vrf, "");
  EXPECT_EQ(view("labelled").vrf, "red");
}

TEST_F(Targets, AFailedPolicyAttachIsTriedAgainAtReloadAndALabelsIsNot) {
  config_.policies = {policy(R"({"match": {"name": "p*"}, "vrf": "blue"})")};
  Sandbox p1, l1;
  starts("p1", p1);
  starts("l1", l1, {{"netvrf.vrf", "red"}});
  ASSERT_EQ(worker_.queued(), (Queued{"attach blue", "attach red"}));
  worker_.fail("no VRF support in this kernel");
  worker_.fail("no VRF support in this kernel");
  EXPECT_EQ(view("p1").attach, "failed");
  EXPECT_NE(view("p1").lastError.find("no VRF support in this kernel"), std::string::npos);
  // The runtime lists them again (a reconnect): nothing failed is tried again for that.
  starts("p1", p1);
  starts("l1", l1, {{"netvrf.vrf", "red"}});
  EXPECT_EQ(worker_.queued(), Queued{});
  manager().reconcileAll();
  EXPECT_EQ(worker_.queued(), Queued{"attach blue"});
}

TEST_F(Targets, AStoredRequestIsAppliedWhenAContainerOfThatNameStarts) {
  StoredRequest r;
  r.runtime = "docker";
  r.name = "web1";
  r.part = StoredRequest::Part::Inside;
  r.inside.vrf = "red";
  requests_->put(r);
  config_.policies = {policy(R"({"match": {"name": "web*"}, "vrf": "blue"})")};
  Sandbox web1;
  starts("web1", web1, {{"netvrf.vrf", "green"}});
  EXPECT_EQ(worker_.queued(), Queued{"attach red"}) << "a request before a label and a policy";
  EXPECT_EQ(view("web1").wantedFrom, "request");
  worker_.succeed();
  manager().reconcileAll();
  EXPECT_EQ(worker_.queued(), Queued{}) << "a reload never takes back what a person asked for";
}

TEST_F(Targets, BadLabelsAreRefusedOnceWithTheirError) {
  Sandbox web1;
  starts("web1", web1, {{"netvrf.vrf", "red"}, {"netvrf.table", "lots"}});
  EXPECT_EQ(worker_.queued(), Queued{});
  ContainerView v = view("web1");
  EXPECT_EQ(v.attach, "failed");
  EXPECT_NE(v.lastError.find("netvrf.table"), std::string::npos) << v.lastError;
  manager().reconcileAll();
  EXPECT_EQ(worker_.queued(), Queued{});
}

// Someone deletes the VRF (`ip -n web1 link del red`): the link watch hears its namespace
// change, the check finds the VRF gone, and what is wanted is attached again.
TEST_F(Targets, AVrfDeletedBehindItsBackIsAttachedAgain) {
  Sandbox web1;
  starts("web1", web1, {{"netvrf.vrf", "red"}});
  worker_.succeed();
  ASSERT_EQ(view("web1").attach, "attached");
  // Any link change in its namespace makes netvrfd look (here: a veth pair added).
  std::string ns = "/proc/" + std::to_string(web1.pid()) + "/ns/net";
  Result added = run({"nsenter", "--net=" + ns, "ip", "link", "add", "nvtd0", "type", "veth",
                      "peer", "name", "nvtd1"});
  ASSERT_EQ(added.status, 0) << added.out;
  runLoop(LinkWatch::kSettle * 3);
  ASSERT_EQ(worker_.queued(), Queued{"check red"});
  worker_.found(CheckResult{false, {}, {}});
  EXPECT_EQ(worker_.queued(), Queued{"attach red"});
  EXPECT_NE(view("web1").lastError.find("VRF red was deleted behind netvrfd's back; attaching it "
                                        "again, as its labels ask"),
            std::string::npos)
      << view("web1").lastError;
  worker_.succeed();
  EXPECT_EQ(view("web1").attach, "attached");
  EXPECT_EQ(worker_.queued(), Queued{});
}

// `netvrfctl detach` while the label's attach is still under way: the detach is queued behind
// it, the caller is told once it is done, and the container stays out (a stored detach).
TEST_F(Targets, ADetachWhileAnAttachIsPendingLeavesItOut) {
  Sandbox web1;
  starts("web1", web1, {{"netvrf.vrf", "red"}});
  ASSERT_EQ(worker_.queued(), Queued{"attach red"});
  std::optional<Done<std::vector<std::string>>> reply;
  manager().requestDetach("docker/" + idOf("web1"), "",
                          [&](Done<std::vector<std::string>> d) { reply = std::move(d); });
  EXPECT_EQ(worker_.queued(), (Queued{"attach red", "detach *"}));
  worker_.succeed();
  EXPECT_FALSE(reply) << "answered only once the detach is done";
  worker_.succeed();
  ASSERT_TRUE(reply && *reply) << (reply ? reply->error : "no reply");
  EXPECT_EQ(reply->value, std::vector<std::string>{"red"});
  EXPECT_EQ(view("web1").attach, "none");
  EXPECT_EQ(view("web1").wantedFrom, "detached");
  EXPECT_EQ(worker_.queued(), Queued{});
  // Started again (a new instance): kept out.
  Sandbox again;
  starts("web1", again, {{"netvrf.vrf", "red"}});
  EXPECT_EQ(worker_.queued(), Queued{});
}

// Docker's networks, as the runtime lists them: netvrf.container_vrf puts each container's
// interface on them into that VRF inside the container.
class InterfaceTargets : public Targets {
 protected:
  void SetUp() override {
    Targets::SetUp();
    NetworksSynced s{"docker", {}};
    s.networks.push_back({"docker", "n-front", "front", "br-front",
                          {{"netvrf.container_vrf", "blue"}}, {}});
    s.networks.push_back({"docker", "n-back", "back", "br-back",
                          {{"netvrf.container_vrf", "green"}, {"netvrf.default", "true"}}, {}});
    s.networks.push_back({"docker", "n-mgmt", "mgmt", "br-mgmt",
                          {{"netvrf.container_vrf", "mgmt"}, {"netvrf.default", "true"}}, {}});
    s.networks.push_back({"docker", "n-plain", "plain", "br-plain", {}, {}});
    manager().handle(std::move(s));
  }
  const ContainerNetwork front{"n-front", "front", "02:42:cb:00:71:02", "", ""};
  const ContainerNetwork back{"n-back", "back", "02:42:cb:00:71:12", "", ""};
  const ContainerNetwork mgmt{"n-mgmt", "mgmt", "02:42:cb:00:71:22", "", ""};
  const ContainerNetwork plain{"n-plain", "plain", "02:42:cb:00:71:32", "", ""};

  // `netvrfctl detach NAME [--vrf VRF]` over the API: the one job it queues (`job`), answered;
  // true when the caller was told it worked.
  bool detachOverApi(const std::string& name, const std::string& vrf, const std::string& job) {
    std::optional<Done<std::vector<std::string>>> reply;
    manager().requestDetach("docker/" + idOf(name), vrf,
                            [&](Done<std::vector<std::string>> d) { reply = std::move(d); });
    EXPECT_EQ(worker_.queued(), Queued{job});
    worker_.succeed();
    return reply && *reply;
  }
};

TEST_F(InterfaceTargets, EachNetworkItsVrfAndConnectsAreFollowed) {
  Sandbox web1;
  starts("web1", web1, {{"netvrf.vrf", "red"}}, {front, plain});
  // Its interface VRFs first: the container's own VRF takes the interfaces they leave.
  ASSERT_EQ(worker_.queued(), (Queued{"attach blue", "attach red"}));
  EXPECT_EQ(worker_.asked[0].macs, std::vector<std::string>{front.mac});
  EXPECT_TRUE(worker_.asked[0].strict) << "netvrf.vrf's VRF is the default";
  EXPECT_TRUE(worker_.asked[1].macs.empty());
  worker_.succeed();
  worker_.succeed();
  ContainerView v = view("web1");
  ASSERT_EQ(v.interfaceVrfs.size(), 1u);
  EXPECT_EQ(v.interfaceVrfs[0].vrf, "blue");
  EXPECT_EQ(v.interfaceVrfs[0].attach, "attached");
  EXPECT_EQ(v.interfaceVrfs[0].from, "network front");
  EXPECT_FALSE(v.interfaceVrfs[0].isDefault);
  EXPECT_EQ(v.vrf, "red");

  // docker network connect back: its VRF, and red again for an interface it takes.
  starts("web1", web1, {{"netvrf.vrf", "red"}}, {front, plain, back});
  EXPECT_EQ(worker_.queued(), (Queued{"attach green", "attach red"}));
  EXPECT_TRUE(worker_.asked[2].strict);
  worker_.succeed();
  worker_.succeed();
  // Seen again unchanged (a resync): nothing.
  starts("web1", web1, {{"netvrf.vrf", "red"}}, {front, plain, back});
  EXPECT_EQ(worker_.queued(), Queued{});
  // docker network disconnect front: blue goes (netvrf made it; nothing is left in it).
  starts("web1", web1, {{"netvrf.vrf", "red"}}, {plain, back});
  EXPECT_EQ(worker_.queued(), Queued{"detach blue"});
  worker_.succeed();
  v = view("web1");
  ASSERT_EQ(v.interfaceVrfs.size(), 1u);
  EXPECT_EQ(v.interfaceVrfs[0].vrf, "green");
  EXPECT_EQ(v.vrf, "red") << "the container's own VRF stays";
}

// `docker network disconnect` while the network's VRF is still being attached: nothing more is
// asked until that attach ends, then its VRF is detached.
TEST_F(InterfaceTargets, ANetworkRemovedMidAttachIsDetachedOnceTheAttachEnds) {
  Sandbox web1;
  starts("web1", web1, {}, {front, plain});
  ASSERT_EQ(worker_.queued(), Queued{"attach blue"});
  starts("web1", web1, {}, {plain});
  EXPECT_EQ(worker_.queued(), Queued{"attach blue"}) << "nothing more while the attach runs";
  worker_.succeed();
  EXPECT_EQ(worker_.queued(), Queued{"detach blue"});
  worker_.succeed();
  EXPECT_TRUE(view("web1").interfaceVrfs.empty());
  EXPECT_EQ(worker_.queued(), Queued{});
}

// Podman deletes the interface before it reports the disconnect: the check that follows finds
// it gone (not taken out by someone), so nothing is attached again and nothing is said; the
// disconnect then takes the VRF away.
TEST_F(InterfaceTargets, AnInterfaceDeletedBeforeItsDisconnectIsHeardIsLeftAlone) {
  Sandbox web1;
  starts("web1", web1, {}, {front});
  worker_.succeed();
  Result added = run({"nsenter", "--net=/proc/" + std::to_string(web1.pid()) + "/ns/net", "ip",
                      "link", "add", "nvtd0", "type", "veth", "peer", "name", "nvtd1"});
  ASSERT_EQ(added.status, 0) << added.out;
  runLoop(LinkWatch::kSettle * 3);
  ASSERT_EQ(worker_.queued(), Queued{"check blue"});
  worker_.found(CheckResult{true, {}, {"eth0"}});
  EXPECT_EQ(worker_.queued(), Queued{});
  EXPECT_EQ(view("web1").lastError, "");
  starts("web1", web1, {}, {});  // the disconnect, heard
  EXPECT_EQ(worker_.queued(), Queued{"detach blue"});
  worker_.succeed();
  EXPECT_TRUE(view("web1").interfaceVrfs.empty());
}

TEST_F(InterfaceTargets, OneDefaultForUnboundSocketsAndTwoAreAnError) {
  Sandbox a, b;
  starts("a", a, {}, {front, back});
  ASSERT_EQ(worker_.queued(), (Queued{"attach blue", "attach green"}));
  EXPECT_TRUE(worker_.asked[0].strict);
  EXPECT_FALSE(worker_.asked[1].strict) << "back says netvrf.default=true";
  worker_.succeed();
  worker_.succeed();
  EXPECT_TRUE(view("a").interfaceVrfs[1].isDefault);

  starts("b", b, {}, {back, mgmt});
  EXPECT_EQ(worker_.queued(), (Queued{"attach green", "attach mgmt"}));
  EXPECT_TRUE(worker_.asked[2].strict);
  EXPECT_TRUE(worker_.asked[3].strict);
  EXPECT_NE(view("b").lastError.find("Z VRFs green and mgmt both say netvrf.default=true; "
                                     "unbound sockets stay outside every VRF"),
            std::string::npos)
      << view("b").lastError;
}

TEST_F(InterfaceTargets, ADetachOverTheApiHoldsAnInterfaceVrfOutForThisInstance) {
  Sandbox web1;
  starts("web1", web1, {}, {front});
  worker_.succeed();
  ASSERT_TRUE(detachOverApi("web1", "blue", "detach blue"));
  EXPECT_EQ(view("web1").interfaceVrfs[0].attach, "detached");
  starts("web1", web1, {}, {front});  // a resync
  EXPECT_EQ(worker_.queued(), Queued{});
  EXPECT_EQ(requests_->all().size(), 0u) << "nothing stored: the network asks again next time";
}

// A plain detach takes every VRF out, the network VRFs too, and keeps them out: a stored
// detach, as for a labelled container.
TEST_F(InterfaceTargets, APlainDetachKeepsNetworkVrfsOut) {
  Sandbox web1;
  starts("web1", web1, {}, {front});
  worker_.succeed();
  ASSERT_TRUE(detachOverApi("web1", "", "detach *"));
  ASSERT_EQ(requests_->all().size(), 1u);
  EXPECT_TRUE(requests_->all()[0].detached);
  starts("web1", web1, {}, {front});  // a resync
  EXPECT_EQ(worker_.queued(), Queued{});
  EXPECT_TRUE(view("web1").interfaceVrfs.empty());
}

}  // namespace
}  // namespace netvrf::test
