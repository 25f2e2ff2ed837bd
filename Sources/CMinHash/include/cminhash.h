#ifndef DRILLWATCH_CMINHASH_H
#define DRILLWATCH_CMINHASH_H
#include <stddef.h>
#include <stdint.h>

/// MinHash minima: for every seed i, minima[i] = min(minima[i], mix(shingle ^ seeds[i])) over
/// all shingles, where mix is splitmix64's finaliser (the increment added first). Uses
/// AVX-512 (eight 64-bit lanes, 64-bit multiplies) where the processor has it, else the same
/// arithmetic one lane at a time: the result is the same either way.
void drillwatch_minhash(const uint64_t *shingles, size_t count, const uint64_t *seeds, size_t seedCount,
                        uint64_t *minima);

/// The one-lane version, always: for tests that compare the two.
void drillwatch_minhash_scalar(const uint64_t *shingles, size_t count, const uint64_t *seeds, size_t seedCount,
                               uint64_t *minima);

/// Whether `drillwatch_minhash` takes the AVX-512 path on this processor.
int drillwatch_minhash_vectorised(void);

#endif
