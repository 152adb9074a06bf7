// Fictional people for tests: resident ID numbers with valid check
// characters.
#ifndef CITYCODE_TESTS_SUPPORT_PEOPLE_H_
#define CITYCODE_TESTS_SUPPORT_PEOPLE_H_

#include <cstdio>
#include <string>

namespace citycode::testing {

// A distinct valid ID number for each serial 0-999 (born 1990-03-15).
inline std::string IdNumber(int serial) {
  char base[32];  // room for any int: GCC checks the format's widest output
  std::snprintf(base, sizeof base, "37028219900315%03d", serial % 1000);
  static constexpr int kWeights[] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
  int sum = 0;
  for (int i = 0; i < 17; ++i) sum += (base[i] - '0') * kWeights[i];
  return std::string(base, 17) + "10X98765432"[sum % 11];
}

}  // namespace citycode::testing

#endif  // CITYCODE_TESTS_SUPPORT_PEOPLE_H_
