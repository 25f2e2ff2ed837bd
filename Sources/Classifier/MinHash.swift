import CMinHash
import Model
/// MinHash signatures over word shingles, with banded locality-sensitive hashing: the
/// standard way to find near-duplicate text (the same wire story in ten outlets) without
/// comparing every pair.
public struct MinHasher: Sendable {
    public let permutations: Int
    public let bands: Int
    private let seeds: [UInt64]

    /// - Parameters:
    ///   - permutations: signature length (estimate error ≈ 1/√permutations).
    ///   - bands: LSH bands; with 64 permutations, 16 bands of 4 rows make pairs with Jaccard
    ///     similarity above about 0.5 likely candidates.
    public init(permutations: Int = 64, bands: Int = 16) {
        precondition(permutations % bands == 0, "bands must divide permutations")
        self.permutations = permutations
        self.bands = bands
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        seeds = (0..<permutations).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return state
        }
    }

    /// The signature of a token sequence: shingles of three consecutive content words.
    public func signature(_ terms: [String]) -> [UInt64] {
        var signature = [UInt64](repeating: .max, count: permutations)
        let shingles = Self.shingles(terms)
        guard !shingles.isEmpty else { return signature }
        // Shingles × permutations is the hottest loop of near-duplicate detection: in C, on
        // eight lanes where the processor allows (`CMinHash`), with the arithmetic below.
        shingles.withUnsafeBufferPointer { shingles in
            seeds.withUnsafeBufferPointer { seeds in
                signature.withUnsafeMutableBufferPointer { minima in
                    drillwatch_minhash(shingles.baseAddress, shingles.count, seeds.baseAddress, seeds.count, minima.baseAddress)
                }
            }
        }
        return signature
    }

    /// The same signature computed here one lane at a time: the definition the fast path must
    /// match (tests compare them).
    package func referenceSignature(_ terms: [String]) -> [UInt64] {
        var signature = [UInt64](repeating: .max, count: permutations)
        for shingle in Self.shingles(terms) {
            for index in 0..<seeds.count {
                signature[index] = Swift.min(signature[index], Self.mix(shingle ^ seeds[index]))
            }
        }
        return signature
    }

    /// One hash per run of three consecutive terms (fewer when the text is shorter).
    private static func shingles(_ terms: [String]) -> [UInt64] {
        guard !terms.isEmpty else { return [] }
        let hashes = terms.map(Self.fnv1a)
        let width = min(3, hashes.count)
        return (0...(hashes.count - width)).map { start in
            var shingle: UInt64 = 0xcbf2_9ce4_8422_2325
            for offset in 0..<width { shingle = (shingle ^ hashes[start + offset]) &* 0x100_0000_01b3 }
            return shingle
        }
    }

    /// Estimated Jaccard similarity of the two shingle sets; 0 when either is empty (an empty
    /// text's signature is all `max`, which would look identical to another empty one).
    public func similarity(_ a: [UInt64], _ b: [UInt64]) -> Double {
        if a.first == .max && a.allSatisfy({ $0 == .max }) { return 0 }
        if b.first == .max && b.allSatisfy({ $0 == .max }) { return 0 }
        var equal = 0
        for index in 0..<min(a.count, b.count) where a[index] == b[index] { equal += 1 }
        return Double(equal) / Double(permutations)
    }

    /// One bucket key per band.
    public func bandKeys(_ signature: [UInt64]) -> [UInt64] {
        let rows = permutations / bands
        return (0..<bands).map { band in
            var key: UInt64 = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
            for row in 0..<rows { key = Self.mix(key ^ signature[band * rows + row]) }
            return key
        }
    }

    public static func fnv1a(_ text: String) -> UInt64 { FNV1a.hash(text.utf8) }

    /// splitmix64's finaliser: a fast, well-mixed 64-bit hash.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// An online near-duplicate index: insert signatures, query candidates by LSH bucket.
public struct NearDuplicateIndex {
    public let hasher: MinHasher
    private var buckets: [[UInt64: [Int]]]
    public private(set) var signatures: [[UInt64]] = []

    public init(hasher: MinHasher = MinHasher()) {
        self.hasher = hasher
        buckets = Array(repeating: [:], count: hasher.bands)
    }

    /// Entries sharing at least one band with `signature`, each once.
    public func candidates(_ signature: [UInt64]) -> [Int] {
        var seen = Set<Int>()
        for (band, key) in hasher.bandKeys(signature).enumerated() {
            for entry in buckets[band][key] ?? [] { seen.insert(entry) }
        }
        return seen.sorted()
    }

    @discardableResult
    public mutating func insert(_ signature: [UInt64]) -> Int {
        let id = signatures.count
        signatures.append(signature)
        for (band, key) in hasher.bandKeys(signature).enumerated() { buckets[band][key, default: []].append(id) }
        return id
    }
}

/// splitmix64 as a random number generator: deterministic for a seed, so a bootstrap interval
/// or test data is the same on every run.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        defer { state &+= 0x9E37_79B9_7F4A_7C15 }
        return MinHasher.mix(state)  // mix adds the increment first: splitmix64's next output
    }
}
