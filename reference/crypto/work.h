// Slow, pure work a sans-I/O role hands to its host instead of doing it inside
// an input (role.h, Output::kWork): password hashing and verification
// (Argon2id, RS-10, SG-LOGIN-1). The role describes the job as data; the host
// runs RunWork() off its event loop (net/: a worker thread; sim/: after a
// modelled virtual cost) and feeds the result back (Role::OnWorkDone).
//
// Determinism: a job carries every input (the salt is drawn by the role from
// its seeded Rng), so RunWork is a pure function of the job.
#pragma once

#include <cstdint>
#include <string>

#include "core/env.h"
#include "reference/crypto/password.h"

namespace mcpsim::reference {

struct Work {
  enum class Kind : std::uint8_t {
    kHashPassword,    // password + salt + cost -> PHC string (RS-10)
    kVerifyPassword,  // password + stored PHC string -> match? (SG-LOGIN-1)
  };
  Kind kind = Kind::kVerifyPassword;
  std::string password;
  std::string salt;     // kHashPassword: exactly 16 bytes
  PasswordCost cost;    // kHashPassword
  std::string encoded;  // kVerifyPassword: the stored hash (may be malformed: no match)
};

struct WorkResult {
  bool ok = false;      // verify: the password matched; hash: hashing succeeded
  std::string encoded;  // hash: the PHC string
};

// Runs the job. Pure and thread-safe: it touches nothing but its arguments.
WorkResult RunWork(const Work& work);

// The virtual time a simulated host charges for the job: 1 us per KiB per
// Argon2 pass plus 20 us (the default cost, m=19456 KiB t=2, models ~39 ms;
// the minimal one ~28 us). A verification is charged by the cost encoded in
// the stored hash (a malformed hash like the minimal cost).
TimeUs ModelledCost(const Work& work);

// A well-formed Argon2id PHC string at `cost` that no known password matches:
// what an unknown account is verified against, so that a RAT for it costs the
// same as one for a real account (SG-LOGIN-16). Cheap to build.
std::string DummyPasswordHash(PasswordCost cost);

}  // namespace mcpsim::reference
