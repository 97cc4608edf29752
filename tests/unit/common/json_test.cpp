#include "common/json.hpp"

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <boost/json/monotonic_resource.hpp>
#include <gtest/gtest.h>

namespace balctl::json {
namespace {

boost::json::object parse(std::string_view text) {
  auto parsed = parse_object(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : boost::json::object{};
}

TEST(ParseObject, RejectsNonObjectsAndGarbage) {
  for (const char* bad : {"", "[]", "42", "\"x\"", "{", "{\"a\":}", "nul", "{\"a\":1}x"}) {
    const auto parsed = parse_object(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.error().code, "bad_json");
    EXPECT_EQ(parsed.error().kind, Errc::invalid_argument);
  }
}

TEST(ParseObject, LimitsNestingDepth) {
  std::string deep;
  for (std::size_t i = 0; i < kMaxDepth + 5; ++i)
    deep += "{\"a\":";
  deep += "1";
  for (std::size_t i = 0; i < kMaxDepth + 5; ++i)
    deep += "}";
  EXPECT_FALSE(parse_object(deep).ok());
  EXPECT_TRUE(parse_object("{\"a\":{\"b\":{\"c\":1}}}").ok());
}

TEST(FieldReader, DistinguishesMissingWrongTypeAndRange) {
  const auto object = parse(R"({"name":"x","count":5,"ratio":"high","flag":1})");
  {
    FieldReader r(object);
    EXPECT_EQ(r.required_string("name"), "x");
    EXPECT_EQ(r.required_int("count", 0, 10), 5);
    EXPECT_TRUE(r.ok());
  }
  {
    FieldReader r(object);
    r.required_string("absent");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "missing_field");
    EXPECT_EQ(r.error().field, "absent");
  }
  {
    FieldReader r(object);
    r.optional_number("ratio", 0, 1);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, "invalid_field");
    EXPECT_EQ(r.error().field, "ratio");
  }
  {
    FieldReader r(object);
    r.required_int("count", 6, 10);
    ASSERT_FALSE(r.ok());
    EXPECT_NE(r.error().message.find("between 6 and 10"), std::string::npos);
  }
  {
    FieldReader r(object);
    r.optional_bool("flag");
    EXPECT_FALSE(r.ok());
  }
}

TEST(FieldReader, FirstErrorWinsAndNullIsAbsent) {
  const auto object = parse(R"({"a":1,"b":"x","c":null})");
  FieldReader r(object);
  r.required_string("a");
  r.required_int("b", 0, 1);
  EXPECT_EQ(r.error().field, "a");
  FieldReader nulls(object);
  EXPECT_FALSE(nulls.optional_string("c").has_value());
  EXPECT_TRUE(nulls.ok());
}

TEST(FieldReader, IntegersAcceptWholeDoublesOnly) {
  const auto object = parse(R"({"whole":3.0,"half":2.5,"huge":1e300,"big":18446744073709551615})");
  FieldReader r(object);
  EXPECT_EQ(r.optional_int("whole", 0, 10), 3);
  EXPECT_TRUE(r.ok());
  FieldReader half(object);
  half.optional_int("half", 0, 10);
  EXPECT_FALSE(half.ok());
  FieldReader huge(object);
  huge.optional_int("huge", 0, 10);
  EXPECT_FALSE(huge.ok());
  FieldReader big(object);
  big.optional_int("big", 0, INT64_MAX);
  EXPECT_FALSE(big.ok());
}

TEST(FieldReader, StringLengthAndArrayLimits) {
  const auto object = parse(R"({"s":"abcdef","list":[1,2,3]})");
  FieldReader r(object);
  r.optional_string("s", 5);
  EXPECT_FALSE(r.ok());
  FieldReader list(object);
  EXPECT_NE(list.optional_array("list", 3), nullptr);
  EXPECT_EQ(list.optional_array("list", 2), nullptr);
  EXPECT_FALSE(list.ok());
}

TEST(FieldReader, NestedPrefixesNameTheFullPath) {
  const auto object = parse(R"({"inner":{"x":"str"}})");
  FieldReader outer(object);
  const auto* inner = outer.optional_object("inner");
  ASSERT_NE(inner, nullptr);
  FieldReader r(*inner, outer.path_of("inner"));
  r.required_int("x", 0, 1);
  outer.absorb(r);
  ASSERT_FALSE(outer.ok());
  EXPECT_EQ(outer.error().field, "inner.x");
}

std::string nested(std::size_t depth) {
  std::string text;
  for (std::size_t i = 0; i < depth; ++i)
    text += "{\"a\":";
  text += "1";
  for (std::size_t i = 0; i < depth; ++i)
    text += "}";
  return text;
}

TEST(ParseObject, DepthBoundaryIsSixteen) {
  EXPECT_TRUE(parse_object(nested(kMaxDepth)).ok());
  const auto too_deep = parse_object(nested(kMaxDepth + 1));
  ASSERT_FALSE(too_deep.ok());
  EXPECT_EQ(too_deep.error().code, "bad_json");
  // Arrays count towards the depth too.
  EXPECT_FALSE(
      parse_object("{\"a\":" + std::string(kMaxDepth, '[') + std::string(kMaxDepth, ']') + "}").ok());
}

TEST(ParseObject, NonObjectMessageSaysSo) {
  const auto parsed = parse_object("[1,2]");
  ASSERT_FALSE(parsed.ok());
  EXPECT_NE(parsed.error().message.find("must be a JSON object"), std::string::npos);
  EXPECT_EQ(parse_object(" {\"a\" : 1} \n")->at("a").as_int64(), 1);
}

TEST(FieldReader, WrongTypeIsInvalidNotMissing) {
  const auto object = parse(R"({"s":5,"o":[],"a":{},"b":"true","i":"5"})");
  const std::vector<std::pair<std::function<void(FieldReader&)>, std::string>> cases = {
      {[](FieldReader& r) { r.required_string("s"); }, "s"},
      {[](FieldReader& r) { r.optional_object("o"); }, "o"},
      {[](FieldReader& r) { r.optional_array("a", 10); }, "a"},
      {[](FieldReader& r) { r.optional_bool("b"); }, "b"},
      {[](FieldReader& r) { r.required_int("i", 0, 10); }, "i"},
  };
  for (const auto& [read, field] : cases) {
    FieldReader r(object);
    read(r);
    ASSERT_FALSE(r.ok()) << field;
    EXPECT_EQ(r.error().code, "invalid_field") << field;
    EXPECT_EQ(r.error().field, field);
    EXPECT_EQ(r.error().kind, Errc::invalid_argument);
    EXPECT_NE(r.error().message.find("'" + field + "'"), std::string::npos) << r.error().message;
  }
}

TEST(FieldReader, MissingRequiredIntIsMissingField) {
  const auto object = parse(R"({"n":null})");
  FieldReader r(object);
  r.required_int("n", 0, 10);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().code, "missing_field");
  EXPECT_EQ(r.error().field, "n");
  FieldReader optional(object);
  EXPECT_FALSE(optional.optional_int("n", 0, 10).has_value());
  EXPECT_FALSE(optional.optional_int("absent", 0, 10).has_value());
  EXPECT_TRUE(optional.ok()) << "absent optional fields are not errors";
}

TEST(FieldReader, MaxLengthIsInclusive) {
  const auto object = parse(R"({"s":"abcde"})");
  FieldReader exact(object);
  EXPECT_EQ(exact.required_string("s", 5), "abcde");
  EXPECT_TRUE(exact.ok());
  FieldReader shorter(object);
  EXPECT_EQ(shorter.required_string("s", 4), "");
  ASSERT_FALSE(shorter.ok());
  EXPECT_EQ(shorter.error().field, "s");
  EXPECT_NE(shorter.error().message.find("longer than 4"), std::string::npos);
}

TEST(FieldReader, RangeBoundsAreInclusive) {
  const auto object = parse(R"({"lo":3,"hi":120,"x":2.5,"neg":-1})");
  FieldReader r(object);
  EXPECT_EQ(r.required_int("lo", 3, 120), 3);
  EXPECT_EQ(r.required_int("hi", 3, 120), 120);
  EXPECT_EQ(r.optional_number("x", 2.5, 2.5), 2.5);
  EXPECT_TRUE(r.ok());
  FieldReader neg(object);
  neg.optional_number("neg", 0, 10);
  ASSERT_FALSE(neg.ok());
  EXPECT_EQ(neg.error().field, "neg");
}

TEST(FieldReader, FirstErrorWinsAcrossFailAndAbsorb) {
  const auto object = parse(R"({"a":"x","inner":{"b":"y"}})");
  FieldReader outer(object);
  outer.fail("a", "custom problem");
  FieldReader inner(*outer.optional_object("inner"), outer.path_of("inner"));
  inner.required_int("b", 0, 1);
  outer.absorb(inner);
  outer.required_string("missing");
  ASSERT_FALSE(outer.ok());
  EXPECT_EQ(outer.error().field, "a");
  EXPECT_EQ(outer.error().message, "custom problem");
  EXPECT_EQ(outer.path_of("x"), "x");
  EXPECT_EQ(FieldReader(object, "haproxy").path_of("state"), "haproxy.state");
}

TEST(ToString, SerialisesCompactly) {
  EXPECT_EQ(to_string(boost::json::object{{"a", 1}, {"b", "x"}}), R"({"a":1,"b":"x"})");
}

}  // namespace
}  // namespace balctl::json

namespace balctl::json {
namespace {

TEST(ParseObject, DuplicateKeysAreRefusedByName) {
  for (const auto& [text, key] : std::vector<std::pair<std::string, std::string>>{
           {R"({"a":1,"a":2})", "a"},
           {R"({"seq":1,"haproxy":{"state":"running","state":"stopped"}})", "state"},
           {R"({"rows":[{"x":1},{"y":1,"y":2}]})", "y"},
           {R"({"a\u0000b":1,"a\u0000b":2})", std::string("a\0b", 3)},
           {R"({"k":1,"\u006b":2})", "k"},  // the same key spelled with an escape
       }) {
    const auto parsed = parse_object(text);
    ASSERT_FALSE(parsed.ok()) << text;
    EXPECT_EQ(parsed.error().kind, Errc::invalid_argument);
    EXPECT_EQ(parsed.error().code, "duplicate_key") << text;
    EXPECT_EQ(parsed.error().message, "duplicate key '" + key + "'") << text;
  }
}

TEST(ParseObject, SameKeyInDifferentObjectsIsFine) {
  const auto parsed = parse_object(R"({"a":{"a":{"a":1}},"b":[{"a":1},{"a":2}],"c":{"b":1}})");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->at("b").as_array().size(), 2u);
  EXPECT_EQ(parsed->at("a").as_object().at("a").as_object().at("a").as_int64(), 1);
}

TEST(ParseObject, ManyKeysUseTheIndexAndStillFindTheDuplicate) {
  std::string text = "{";
  for (int i = 0; i < 50'000; ++i) text += "\"key" + std::to_string(i) + "\":" + std::to_string(i) + ",";
  const auto unique = parse_object(text.substr(0, text.size() - 1) + "}");
  ASSERT_TRUE(unique.ok()) << unique.error().message;
  EXPECT_EQ(unique->size(), 50'000u);
  const auto twice = parse_object(text + "\"key17\":0}");
  ASSERT_FALSE(twice.ok());
  EXPECT_EQ(twice.error().message, "duplicate key 'key17'");
  // An object that closes drops its keys: a later sibling object may use them again.
  EXPECT_TRUE(parse_object(R"({"x":{"k1":1,"k2":2,"k3":3,"k4":4,"k5":5,"k6":6,"k7":7,"k8":8,"k9":9,"k10":1,)"
                           R"("k11":1,"k12":1,"k13":1,"k14":1,"k15":1,"k16":1,"k17":1,"k18":1},"k1":{"k1":1}})")
                  .ok());
}

TEST(ParseObject, LongDuplicateKeyIsShortenedInTheMessage) {
  const std::string key(500, 'k');
  const auto parsed = parse_object("{\"" + key + "\":1,\"" + key + "\":2}");
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().message, "duplicate key '" + key.substr(0, 64) + "...'");
}

TEST(ParseObject, KeepsTheOtherContracts) {
  EXPECT_EQ(parse_object("{\"a\":1} x").error().code, "bad_json");
  EXPECT_EQ(parse_object("{\"a\":").error().code, "bad_json");
  EXPECT_EQ(parse_object("  {\"a\":\"\\u00e9\"}  ")->at("a").as_string(), "\xc3\xa9");
  EXPECT_EQ(parse_object("[1]").error().message, "request body must be a JSON object");
  // A caller's arena holds the tree.
  unsigned char buffer[4096];
  boost::json::monotonic_resource arena(buffer, sizeof buffer);
  const auto parsed = parse_object(R"({"a":[1,2,3],"b":"longer than the small-string buffer"})", &arena);
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->storage().get(), &arena);
}

}  // namespace
}  // namespace balctl::json
