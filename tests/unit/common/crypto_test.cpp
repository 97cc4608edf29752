#include "common/crypto.hpp"

#include <stdexcept>
#include <string>

#include <gtest/gtest.h>

namespace balctl::crypto {
namespace {

class CryptoTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { init(); }
};

TEST_F(CryptoTest, CredentialRoundTrip) {
  const auto credential = make_credential("bms", "42");
  EXPECT_EQ(credential.id, "42");
  EXPECT_EQ(credential.text.rfind("bms.42.", 0), 0u);
  EXPECT_EQ(credential.text.size(), std::string("bms.42.").size() + 43);  // 32 bytes, base64url, no padding
  EXPECT_EQ(credential_id("bms", credential.text), "42");
  EXPECT_NE(make_credential("bms", "42").text, credential.text);
}

TEST_F(CryptoTest, CredentialIdRejectsMalformedText) {
  for (const char* bad : {"", "bms", "bms.", "bms..x", "bms.42.", "bat.42.x", "bmsx42.y", "bms42.x"}) {
    EXPECT_FALSE(credential_id("bms", bad)) << bad;
  }
  EXPECT_FALSE(credential_id("bms", "bms.1." + std::string(300, 'a')));
  // Ids may contain dots when the id part itself has them; the secret is after the last dot.
  EXPECT_EQ(credential_id("bek", "bek.abc.def"), "abc");
}

TEST_F(CryptoTest, HashIsStableHexAndDistinct) {
  const auto hash = hash_secret("secret");
  EXPECT_EQ(hash.size(), 64u);
  EXPECT_EQ(hash, hash_secret("secret"));
  EXPECT_NE(hash, hash_secret("secreT"));
  EXPECT_EQ(hash.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST_F(CryptoTest, ConstantTimeEquality) {
  EXPECT_TRUE(equal_constant_time("abc", "abc"));
  EXPECT_FALSE(equal_constant_time("abc", "abd"));
  EXPECT_FALSE(equal_constant_time("abc", "abcd"));
  EXPECT_TRUE(equal_constant_time("", ""));
}

TEST_F(CryptoTest, Base64RoundTrip) {
  const std::string bytes = random_bytes(33);
  EXPECT_EQ(from_base64(base64(bytes)), bytes);
  EXPECT_FALSE(from_base64("not base64!"));
  EXPECT_EQ(base64url(std::string("\xfb\xff", 2)), "-_8");
  EXPECT_EQ(hex("\x01\xab"), "01ab");
}

TEST_F(CryptoTest, SignAndVerify) {
  const auto key = generate_signing_key();
  const auto signature = sign_detached("job 17: reload", key.secret_key);
  EXPECT_TRUE(verify_detached("job 17: reload", signature, key.public_key));
  EXPECT_FALSE(verify_detached("job 17: reboot", signature, key.public_key));
  EXPECT_FALSE(verify_detached("job 17: reload", signature, generate_signing_key().public_key));
  EXPECT_FALSE(verify_detached("job 17: reload", "short", key.public_key));
}

TEST_F(CryptoTest, HashSecretIsBlake2b256) {
  // Reference values from Python's hashlib.blake2b(digest_size=32).
  EXPECT_EQ(hash_secret(""), "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8");
  EXPECT_EQ(hash_secret("secret"), "ae4aafb3c7d8616b739f05a30d06b4e2236fdea712168159f346e8a3efd57d9e");
}

TEST_F(CryptoTest, CredentialsForEachPrefixParseOnlyWithTheirOwnPrefix) {
  for (const std::string prefix : {"bat", "bek", "bms"}) {
    const auto credential = make_credential(prefix, "id-1");
    EXPECT_EQ(credential_id(prefix, credential.text), "id-1") << prefix;
    for (const std::string other : {"bat", "bek", "bms"}) {
      if (other != prefix) EXPECT_FALSE(credential_id(other, credential.text)) << prefix << " as " << other;
    }
    // The random part is base64url: no padding, no characters that would need quoting in a shell or URL.
    const auto secret = credential.text.substr(credential.text.rfind('.') + 1);
    EXPECT_EQ(secret.size(), 43u);
    EXPECT_EQ(secret.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
              std::string::npos);
  }
  EXPECT_FALSE(credential_id("bms", "BMS.1.x"));
  EXPECT_FALSE(credential_id("bms", std::string("bms.1.") + std::string(251, 'x'))) << "257 characters";
  EXPECT_TRUE(credential_id("bms", std::string("bms.1.") + std::string(250, 'x'))) << "256 characters";
}

TEST_F(CryptoTest, Base64RejectsTheUrlAlphabetAndTruncation) {
  EXPECT_EQ(base64("ab"), "YWI=");
  EXPECT_EQ(from_base64("YWI="), "ab");
  EXPECT_EQ(from_base64(""), "");
  EXPECT_FALSE(from_base64("-_8"));
  EXPECT_FALSE(from_base64("YWI"));
  EXPECT_FALSE(from_base64("YW I="));
}

TEST_F(CryptoTest, SigningRejectsBadKeySizes) {
  const auto key = generate_signing_key();
  EXPECT_EQ(key.public_key.size(), 32u);
  EXPECT_EQ(key.secret_key.size(), 64u);
  EXPECT_THROW(sign_detached("m", key.public_key), std::invalid_argument);
  const auto signature = sign_detached("m", key.secret_key);
  EXPECT_EQ(signature.size(), 64u);
  EXPECT_FALSE(verify_detached("m", signature, key.public_key.substr(1)));
  std::string flipped = signature;
  flipped[10] = static_cast<char>(flipped[10] ^ 0x01);
  EXPECT_FALSE(verify_detached("m", flipped, key.public_key));
  EXPECT_EQ(random_bytes(16).size(), 16u);
  EXPECT_NE(random_bytes(16), random_bytes(16));
}

}  // namespace
}  // namespace balctl::crypto
