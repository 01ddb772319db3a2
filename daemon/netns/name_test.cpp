#include "netns/name.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace netvrf {
namespace {

TEST(NetnsName, AcceptsWhatIproute2Accepts) {
  for (const std::string& ok :
       std::vector<std::string>{"web1", "a", "my_ctr.v2-blue", "with space", std::string(255, 'a')})
    EXPECT_EQ(netnsNameError(ok), std::nullopt) << ok;
}

TEST(NetnsName, RefusesWhatIproute2RefusesAndControlCharacters) {
  EXPECT_EQ(netnsNameError(""), "the name is empty");
  EXPECT_EQ(netnsNameError("."), "the name '.' is reserved");
  EXPECT_EQ(netnsNameError(".."), "the name '..' is reserved");
  EXPECT_EQ(netnsNameError("../x"), "the name contains '/'");
  EXPECT_EQ(netnsNameError("a/b"), "the name contains '/'");
  EXPECT_EQ(netnsNameError(std::string(256, 'a')), "the name is 256 bytes long (at most 255)");
  EXPECT_EQ(netnsNameError("a\nb"), "the name contains a control character");
  EXPECT_EQ(netnsNameError("a\x7f"), "the name contains a control character");
}

TEST(NameTemplate, Expands) {
  TemplateValues v{"web1", "5a05c0553da2dd92ec4063e44180c5476c6b0d69b67007799fc584f74d91e7e5"};
  EXPECT_EQ(expandTemplate("{name}", v), "web1");
  EXPECT_EQ(expandTemplate("{name}-{shortid}", v), "web1-5a05c0553da2");
  EXPECT_EQ(expandTemplate("c-{id}", v), "c-" + std::string(v.id));
  EXPECT_EQ(expandTemplate("{name}{name}", v), "web1web1");
  TemplateValues c{"web1", "web1", "k8s.io"};
  EXPECT_EQ(expandTemplate("{ns}-{name}", c), "k8s.io-web1");
  EXPECT_EQ(expandTemplate("{{name}}", v), "{web1}");  // only known placeholders are replaced
}

TEST(NameTemplate, Validation) {
  EXPECT_EQ(templateError("{name}"), std::nullopt);
  EXPECT_EQ(templateError("docker-{shortid}"), std::nullopt);
  EXPECT_EQ(templateError("{id}"), std::nullopt);
  EXPECT_EQ(templateError("x"), "must contain {name}, {id} or {shortid}");
  EXPECT_EQ(templateError("{name"),
            "has an unknown placeholder '{name' (known: {name}, {id}, {shortid}, {ns})");
  EXPECT_EQ(templateError("{ns}-{name}"), std::nullopt);
  EXPECT_EQ(templateError("{ns}"), "must contain {name}, {id} or {shortid}");
  EXPECT_EQ(templateError("ns/{name}"), "must not contain '/'");
}

}  // namespace
}  // namespace netvrf
