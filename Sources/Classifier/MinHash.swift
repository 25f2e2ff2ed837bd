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

    /// Each band's bucket key (one per band, without an array in between).
    func forEachBandKey(_ signature: [UInt64], _ body: (_ band: Int, _ key: UInt64) -> Void) {
        let rows = permutations / bands
        for band in 0..<bands {
            var key: UInt64 = UInt64(band) &* 0x9E37_79B9_7F4A_7C15
            for row in 0..<rows { key = Self.mix(key ^ signature[band * rows + row]) }
            body(band, key)
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
///
/// A bucket is a chain through arrays, not an array of its own: per band, a table from bucket
/// key to the newest entry in it, and per entry and band the entry before it
/// in the same bucket. Inserting allocates nothing once the arrays have grown, where an array
/// per bucket meant one allocation for almost every band of every item (a fifth of
/// near-duplicate detection's time).
public struct NearDuplicateIndex {
    public let hasher: MinHasher
    /// Per band: bucket key → newest entry in the bucket.
    private var newest: [[UInt64: Int32]]
    /// `earlier[entry * bands + band]`: the previous entry in that entry's bucket of `band`, or -1.
    private var earlier: [Int32] = []
    public private(set) var signatures: [[UInt64]] = []

    public init(hasher: MinHasher = MinHasher()) {
        self.hasher = hasher
        newest = Array(repeating: [:], count: hasher.bands)
    }

    /// Entries sharing at least one band with `signature`, each once, in the order they came.
    public func candidates(_ signature: [UInt64]) -> [Int] {
        var found: [Int] = []
        hasher.forEachBandKey(signature) { band, key in
            var entry = newest[band][key] ?? -1
            while entry >= 0 {
                found.append(Int(entry))
                entry = earlier[Int(entry) * hasher.bands + band]
            }
        }
        // A copy shares most bands: sorting and dropping repeats beats a set for a few dozen.
        found.sort()
        var kept = 0
        for value in found where kept == 0 || found[kept - 1] != value {
            found[kept] = value
            kept += 1
        }
        found.removeLast(found.count - kept)
        return found
    }

    @discardableResult
    public mutating func insert(_ signature: [UInt64]) -> Int {
        let id = signatures.count
        signatures.append(signature)
        earlier.append(contentsOf: repeatElement(-1, count: hasher.bands))
        hasher.forEachBandKey(signature) { band, key in
            let entry = Int32(id)
            if let previous = newest[band].updateValue(entry, forKey: key) { earlier[id * hasher.bands + band] = previous }
        }
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
