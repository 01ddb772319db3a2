#include "common/printable.hpp"

#include <gtest/gtest.h>

namespace netvrf {
namespace {

TEST(Printable, PrintableNameIsOneShortLine) {
  EXPECT_EQ(printableName("web1"), "web1");
  EXPECT_EQ(printableName("with space"), "with space");
  EXPECT_EQ(printableName("a\nb\tc\x01\x7f"), "a\\nb\\tc\\x01\\x7f");
  EXPECT_EQ(printableName(std::string(64, 'a')), std::string(64, 'a'));
  EXPECT_EQ(printableName(std::string(1 << 20, 'a')), std::string(64, 'a') + "...");
  // Never cut inside a character: the reply must stay valid UTF-8 or the bus refuses it.
  std::string euros;
  for (int i = 0; i < 30; ++i) euros += "\u20ac";  // 3 bytes each: byte 64 is inside one
  EXPECT_EQ(printableName(euros), euros.substr(0, 63) + "...");
}

TEST(Printable, Utf8IsCheckedAsTheBusWouldCheckIt) {
  EXPECT_TRUE(validUtf8(""));
  EXPECT_TRUE(validUtf8("web1"));
  EXPECT_TRUE(validUtf8("caf\u00e9 \u20ac \U0001f600"));
  EXPECT_FALSE(validUtf8("\xff\xfe"));
  EXPECT_FALSE(validUtf8("nv\xff"));
  EXPECT_FALSE(validUtf8("\x80"));              // a continuation byte alone
  EXPECT_FALSE(validUtf8("\xe2\x82"));          // cut short
  EXPECT_FALSE(validUtf8("\xc0\xaf"));          // overlong '/'
  EXPECT_FALSE(validUtf8("\xed\xa0\x80"));      // a surrogate
  EXPECT_FALSE(validUtf8("\xf4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(validUtf8("a\xe2\x28\xa1"));     // a lead byte followed by ASCII
}

}  // namespace
}  // namespace netvrf
