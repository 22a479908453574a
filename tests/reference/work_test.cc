// Slow work as data (reference/crypto/work.h): hashing and verification
// through RunWork, the modelled cost, and the dummy hash of SG-LOGIN-16.
#include <gtest/gtest.h>

#include "reference/crypto/work.h"

namespace mcpsim::reference {
namespace {

TEST(Work, HashThenVerifyThroughRunWork) {
  Work h;
  h.kind = Work::Kind::kHashPassword;
  h.password = "correct horse";
  h.salt = std::string(16, 's');
  h.cost = PasswordCost::Minimal();
  const WorkResult hashed = RunWork(h);
  ASSERT_TRUE(hashed.ok);
  EXPECT_EQ(hashed.encoded.rfind("$argon2id$v=19$m=8,t=1,p=1$", 0), 0u);
  EXPECT_EQ(RunWork(h).encoded, hashed.encoded);  // pure: same job, same hash
  Work v;
  v.kind = Work::Kind::kVerifyPassword;
  v.password = "correct horse";
  v.encoded = hashed.encoded;
  EXPECT_TRUE(RunWork(v).ok);
  v.password = "correct horsE";
  EXPECT_FALSE(RunWork(v).ok);
  v.encoded = "garbage";
  EXPECT_FALSE(RunWork(v).ok);
  h.salt = "short";
  EXPECT_FALSE(RunWork(h).ok);  // a bad salt fails, never crashes
}

TEST(Work, UnknownAccountsCostTheSame) {
  // SG-LOGIN-16: the dummy hash has the stored hashes' cost, so verifying
  // against it is modelled (and runs) like a real verification.
  for (PasswordCost c : {PasswordCost::Minimal(), PasswordCost{}, PasswordCost{3, 4096}}) {
    Work real;
    real.kind = Work::Kind::kHashPassword;
    real.password = "pw";
    real.salt = std::string(16, 'x');
    real.cost = c;
    Work verify_real;
    verify_real.kind = Work::Kind::kVerifyPassword;
    verify_real.password = "guess";
    verify_real.encoded = "$argon2id$v=19$m=" + std::to_string(c.memory_kib) + ",t=" + std::to_string(c.passes) +
                          ",p=1$c2FsdHNhbHRzYWx0c2FsdA$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g";
    Work verify_dummy = verify_real;
    verify_dummy.encoded = DummyPasswordHash(c);
    EXPECT_EQ(ModelledCost(verify_dummy), ModelledCost(verify_real));
    EXPECT_EQ(ModelledCost(verify_dummy), ModelledCost(real));
    EXPECT_EQ(EncodedCost(verify_dummy.encoded)->memory_kib, c.memory_kib);
  }
  Work v;
  v.kind = Work::Kind::kVerifyPassword;
  v.encoded = DummyPasswordHash(PasswordCost::Minimal());
  for (const char* pw : {"", "password", "mcpsim", "correct horse"}) {
    v.password = pw;
    EXPECT_FALSE(RunWork(v).ok) << pw;
  }
  EXPECT_EQ(ModelledCost(v), 8 * 1 + 20);
  Work def;
  def.kind = Work::Kind::kHashPassword;
  EXPECT_EQ(ModelledCost(def), 19456 * 2 + 20);
}

}  // namespace
}  // namespace mcpsim::reference
