#include "targets/requests.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

namespace netvrf {
namespace {

class RequestsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/netvrf-requests-XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/lib/requests.json";  // its directory is made on the first write
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  void write(const std::string& text) {
    std::filesystem::create_directories(dir_ + "/lib");
    std::ofstream(path_) << text;
  }
  std::string loadError(const std::string& text) {
    write(text);
    try {
      RequestStore store(path_);
    } catch (const RequestFileError& e) {
      return e.what();
    }
    return "";
  }
  static StoredRequest inside(const std::string& name, const std::string& vrf) {
    StoredRequest r;
    r.runtime = "docker";
    r.name = name;
    r.inside.vrf = vrf;
    return r;
  }

  std::string dir_, path_;
};

TEST_F(RequestsTest, NoFileIsNoRequests) {
  RequestStore store(path_);
  EXPECT_TRUE(store.all().empty());
  EXPECT_FALSE(std::filesystem::exists(path_));  // reading writes nothing
}

TEST_F(RequestsTest, WhatIsPutIsReadBackByTheNextProcess) {
  {
    RequestStore store(path_);
    StoredRequest a = inside("web1", "red");
    a.inside.table = 1010;
    a.inside.interfaces = {"eth1"};
    a.inside.strict = true;
    store.put(a);
    StoredRequest leg;
    leg.runtime = "podman";
    leg.name = "web1";
    leg.part = StoredRequest::Part::Host;
    leg.host.vrf = "green";
    leg.host.containerIfname = "nv-green";
    leg.host.addresses = {"203.0.113.10/24"};
    leg.host.gateways = {"203.0.113.1"};
    store.put(leg);
    StoredRequest out;
    out.runtime = "docker";
    out.name = "db";
    out.detached = true;
    store.put(out);
  }
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  RequestStore again(path_);
  ASSERT_EQ(again.all().size(), 3u);
  const StoredRequest* a = again.find("docker", "web1", StoredRequest::Part::Inside);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->inside.vrf, "red");
  EXPECT_EQ(a->inside.table, 1010u);
  EXPECT_EQ(a->inside.interfaces, std::vector<std::string>{"eth1"});
  EXPECT_TRUE(a->inside.strict);
  EXPECT_FALSE(again.find("docker", "web1", StoredRequest::Part::Host));
  const StoredRequest* leg = again.find("podman", "web1", StoredRequest::Part::Host);
  ASSERT_TRUE(leg);
  EXPECT_EQ(leg->host.vrf, "green");
  EXPECT_EQ(leg->host.addresses, std::vector<std::string>{"203.0.113.10/24"});
  EXPECT_EQ(leg->host.gateways, std::vector<std::string>{"203.0.113.1"});
  const StoredRequest* out = again.find("docker", "db", StoredRequest::Part::Inside);
  ASSERT_TRUE(out);
  EXPECT_TRUE(out->detached);
  // Readable by people: one object per request, with the words a user would look for.
  auto doc = nlohmann::json::parse(std::ifstream(path_));
  EXPECT_EQ(doc["version"], 1);
  EXPECT_EQ(doc["requests"][0]["action"], "attach");
  EXPECT_EQ(doc["requests"][2]["action"], "detach");
}

TEST_F(RequestsTest, PutReplacesTheSamePartAndEraseRemovesIt) {
  RequestStore store(path_);
  store.put(inside("web1", "red"));
  store.put(inside("web1", "blue"));
  ASSERT_EQ(store.all().size(), 1u);
  EXPECT_EQ(store.all()[0].inside.vrf, "blue");
  EXPECT_FALSE(store.erase("docker", "web2", StoredRequest::Part::Inside));
  EXPECT_TRUE(store.erase("docker", "web1", StoredRequest::Part::Inside));
  EXPECT_TRUE(RequestStore(path_).all().empty());
}

TEST_F(RequestsTest, AFailedWriteChangesNothing) {
  RequestStore store(path_);
  store.put(inside("web1", "red"));
  std::filesystem::remove_all(dir_ + "/lib");
  std::ofstream(dir_ + "/lib") << "a file where the directory was";
  EXPECT_THROW(store.put(inside("web2", "red")), std::system_error);
  EXPECT_THROW(store.erase("docker", "web1", StoredRequest::Part::Inside), std::system_error);
  ASSERT_EQ(store.all().size(), 1u);
  EXPECT_EQ(store.all()[0].name, "web1");
}

TEST_F(RequestsTest, AFileThatCannotBeUsedIsOneLineNamingItAndTheRequest) {
  EXPECT_EQ(loadError("not json"), path_ + ": not a netvrf requests file; fix or remove it");
  EXPECT_EQ(loadError(R"({"version": 1})"), path_ + ": not a netvrf requests file; fix or remove it");
  std::string e = loadError(R"({"requests": [
      {"runtime": "docker", "name": "a", "part": "inside", "action": "attach", "vrf": "red"},
      {"runtime": "docker", "name": "b", "part": "inside", "action": "attach", "vrf": "a/b"}]})");
  EXPECT_NE(e.find(path_ + ": request 1: VRF 'a/b'"), std::string::npos) << e;
  e = loadError(R"({"requests": [
      {"runtime": "docker", "name": "a", "part": "sideways", "action": "attach", "vrf": "red"}]})");
  EXPECT_NE(e.find("request 0: part 'sideways' is not inside or host"), std::string::npos) << e;
  e = loadError(R"({"requests": [
      {"runtime": "docker", "name": "a", "part": "inside", "action": "attach", "vrf": "red",
       "table": 254}]})");
  EXPECT_NE(e.find("request 0: "), std::string::npos) << e;
  e = loadError(R"({"requests": [
      {"runtime": "docker", "name": "a", "part": "host", "action": "attach", "vrf": "red",
       "addresses": ["not an address"]}]})");
  EXPECT_NE(e.find("request 0: "), std::string::npos) << e;
  e = loadError(R"({"requests": [
      {"runtime": "docker", "name": "a", "part": "inside", "action": "detach"},
      {"runtime": "docker", "name": "a", "part": "inside", "action": "attach", "vrf": "red"}]})");
  EXPECT_NE(e.find("request 1: a second request for the same container and part"),
            std::string::npos)
      << e;
  EXPECT_EQ(e.find('\n'), std::string::npos);
}

}  // namespace
}  // namespace netvrf
