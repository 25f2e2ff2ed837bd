import Locking

/// What `Analyzer` gives a word — its ids, stem and stop-word flag — remembered for the words
/// seen last, in a table indexed by a cheap hash of the word: one entry a slot, a newer word
/// taking the slot of an older one. Most of a text's words were met in texts before; found
/// here, they need neither the lexicon's hashing (SipHash over every word: a fifth of reading
/// an item) nor its lock.
///
/// Nothing here goes stale: the lexicon never changes a word's ids or stem once it has them.
/// Hostile text whose words collide only sends them on to the lexicon, as before; a slot
/// holds one word, so no run of collisions makes a chain.
struct WordCache {
    struct Entry {
        /// The folded word; empty in a slot never filled (no word is empty).
        var surface = ""
        var surfaceID: Int32 = -1
        var termID: Int32 = -1
        var term = ""
        var isStopWord = false
    }

    /// A word's first 16 bytes as two integers, and its length: a word is compared with the
    /// one in its slot in two comparisons, and its slot is a hash of the two, so no string is
    /// touched unless they are equal.
    struct Key: Equatable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count = 0

        init() {}

        /// The key of a folded word.
        init(_ surface: String) {
            var surface = surface
            self = surface.withUTF8 { Key(bytes: $0) }
        }

        /// The key of `bytes` as they are.
        init(bytes: UnsafeBufferPointer<UInt8>) {
            count = bytes.count
            low = Self.load(bytes, from: 0)
            high = Self.load(bytes, from: 8)
        }

        /// The key of an ASCII word as written, lower-cased (`Analyzer` words are letters,
        /// digits and apostrophes), and whether it had capitals: eight bytes at a time, an
        /// A–Z byte found by two additions that cannot carry (every byte is below 0x80).
        static func folding(asciiWord word: UnsafeBufferPointer<UInt8>) -> (key: Key, hadCapitals: Bool) {
            var key = Key(bytes: word)
            let ones: UInt64 = 0x0101_0101_0101_0101
            func fold(_ value: inout UInt64) -> Bool {
                let capitals = (value &+ 0x3F &* ones) & ~(value &+ 0x25 &* ones) & (0x80 &* ones)
                value |= capitals >> 2
                return capitals != 0
            }
            let low = fold(&key.low), high = fold(&key.high)
            // Beyond the key, capitals are looked for byte by byte.
            let rest = word.count > 16 && word[16...].contains { $0 >= 0x41 && $0 <= 0x5A }
            return (key, low || high || rest)
        }

        /// Up to eight bytes from `start`, the first in the lowest place, zeros after the end.
        @inline(__always)
        private static func load(_ bytes: UnsafeBufferPointer<UInt8>, from start: Int) -> UInt64 {
            var value: UInt64 = 0
            var index = min(bytes.count, start + 8)
            while index > start {
                index -= 1
                value = value << 8 | UInt64(bytes[index])
            }
            return value
        }

        /// Whether the key holds its whole word.
        var isWhole: Bool { count <= 16 }

        /// The word's slot: a multiplicative hash of the key, its high bits.
        var slot: Int {
            var hash = (low ^ UInt64(truncatingIfNeeded: count) << 56) &* 0x9E37_79B9_7F4A_7C15
            hash ^= high &* 0xC2B2_AE3D_27D4_EB4F
            hash ^= hash >> 31
            return Int(truncatingIfNeeded: hash >> 40) & (WordCache.slotCount - 1)
        }
    }

    static let slotCount = 16384
    private var slots: [Entry]
    private var keys: [Key]

    init() {
        slots = Array(repeating: Entry(), count: Self.slotCount)
        keys = Array(repeating: Key(), count: Self.slotCount)
    }

    fileprivate init(slots: [Entry], keys: [Key]) {
        self.slots = slots
        self.keys = keys
    }

    /// The entry of `surface`, if it is the word in its slot.
    func entry(_ surface: String) -> Entry? {
        let entry = slots[Key(surface).slot]
        return entry.surface == surface ? entry : nil
    }

    mutating func remember(_ entry: Entry) {
        let key = Key(entry.surface)
        slots[key.slot] = entry
        keys[key.slot] = key
    }

    /// The entry of a folded word given by its key, if it is the word in its slot: the
    /// analyzer's way, with no string made for the word. `word` is the whole word, read only
    /// for one longer than a key holds.
    func entry(key: Key, word: () -> String) -> Entry? {
        let slot = key.slot
        guard keys[slot] == key else { return nil }
        let entry = slots[slot]
        return key.isWhole || entry.surface == word() ? entry : nil
    }
}

/// Word caches lent to one caller at a time, as `StemmerPool` lends stemmers: as many as
/// threads ever analysed text at once.
final class WordCachePool: Sendable {
    private let spare = Locked<[WordCache]>([])

    func withCache<Result>(_ body: (inout WordCache) -> Result) -> Result {
        var cache = spare.withLock { $0.popLast() } ?? WordCache()
        defer {
            // Moved back, not copied: were this frame to keep a reference to the table, the
            // next borrower's first change would copy all of it.
            spare.withLock { pool in
                var moved = WordCache(slots: [], keys: [])
                swap(&moved, &cache)
                pool.append(moved)
            }
        }
        return body(&cache)
    }
}
