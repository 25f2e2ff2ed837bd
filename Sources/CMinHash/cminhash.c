// The hottest loop of near-duplicate detection (shingles × 128 seeds, two 64-bit multiplies
// each). Swift compiles for baseline x86-64, which has no 64-bit vector multiply, so the loop
// ran one lane at a time; here it runs eight lanes at a time where the processor allows,
// chosen once at run time. Both paths compute exactly the same minima (stored signatures and
// stories do not change), which the tests check on random input.
#include "cminhash.h"

static inline uint64_t mix(uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
}

static void scalar_from(size_t first, const uint64_t *shingles, size_t count, const uint64_t *seeds, size_t seedCount,
                        uint64_t *minima) {
    for (size_t i = first; i < seedCount; i++) {
        uint64_t low = minima[i];
        for (size_t s = 0; s < count; s++) {
            uint64_t value = mix(shingles[s] ^ seeds[i]);
            if (value < low) low = value;
        }
        minima[i] = low;
    }
}

void drillwatch_minhash_scalar(const uint64_t *shingles, size_t count, const uint64_t *seeds, size_t seedCount,
                               uint64_t *minima) {
    scalar_from(0, shingles, count, seeds, seedCount, minima);
}

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <immintrin.h>

__attribute__((target("avx512f,avx512dq")))
static void avx512(const uint64_t *shingles, size_t count, const uint64_t *seeds, size_t seedCount, uint64_t *minima) {
    const __m512i increment = _mm512_set1_epi64((long long)0x9E3779B97F4A7C15ULL);
    const __m512i first = _mm512_set1_epi64((long long)0xBF58476D1CE4E5B9ULL);
    const __m512i second = _mm512_set1_epi64((long long)0x94D049BB133111EBULL);
    size_t i = 0;
    // Eight seeds at a time, their minima kept in a register over every shingle.
    for (; i + 8 <= seedCount; i += 8) {
        const __m512i seed = _mm512_loadu_si512((const void *)(seeds + i));
        __m512i low = _mm512_loadu_si512((const void *)(minima + i));
        for (size_t s = 0; s < count; s++) {
            __m512i z = _mm512_add_epi64(_mm512_xor_si512(_mm512_set1_epi64((long long)shingles[s]), seed), increment);
            z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 30)), first);
            z = _mm512_mullo_epi64(_mm512_xor_si512(z, _mm512_srli_epi64(z, 27)), second);
            z = _mm512_xor_si512(z, _mm512_srli_epi64(z, 31));
            low = _mm512_min_epu64(low, z);
        }
        _mm512_storeu_si512((void *)(minima + i), low);
    }
    scalar_from(i, shingles, count, seeds, seedCount, minima);
}

int drillwatch_minhash_vectorised(void) {
    // Several threads may ask at once: each computes the same answer; atomics keep it a
    // well-defined race.
    static int known = -1;
    int answer = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (answer < 0) {
        __builtin_cpu_init();
        answer = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq");
        __atomic_store_n(&known, answer, __ATOMIC_RELAXED);
    }
    return answer;
}

void drillwatch_minhash(const uint64_t *shingles, size_t count, const uint64_t *seeds, size_t seedCount,
                        uint64_t *minima) {
    if (drillwatch_minhash_vectorised()) {
        avx512(shingles, count, seeds, seedCount, minima);
    } else {
        scalar_from(0, shingles, count, seeds, seedCount, minima);
    }
}
#else
int drillwatch_minhash_vectorised(void) { return 0; }

void drillwatch_minhash(const uint64_t *shingles, size_t count, const uint64_t *seeds, size_t seedCount,
                        uint64_t *minima) {
    scalar_from(0, shingles, count, seeds, seedCount, minima);
}
#endif
