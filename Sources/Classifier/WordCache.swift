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

    /// A word of up to 16 bytes as two integers and its length: a word is compared with the
    /// one in its slot in two comparisons, and no string is touched unless they are equal.
    struct Key: Equatable {
        var low: UInt64 = 0
        var high: UInt64 = 0
        var count = 0

        /// Adds the next byte; past the sixteenth only the count grows.
        @inline(__always)
        mutating func append(_ byte: UInt8) {
            if count < 8 {
                low |= UInt64(byte) << (8 * UInt64(count))
            } else if count < 16 {
                high |= UInt64(byte) << (8 * UInt64(count - 8))
            }
            count += 1
        }

        init() {}

        init(_ surface: String) {
            for byte in surface.utf8 { append(byte) }
        }

        /// Whether the key holds its whole word.
        var isWhole: Bool { count <= 16 }
    }

    static let slotCount = 4096
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
        let entry = slots[Self.slot(surface)]
        return entry.surface == surface ? entry : nil
    }

    mutating func remember(_ entry: Entry) {
        let slot = Self.slot(entry.surface)
        slots[slot] = entry
        keys[slot] = Key(entry.surface)
    }

    /// The entry of a folded word given by its key and the hash of its bytes (`hash(_:_:)`
    /// from `hashSeed`), if it is the word in its slot: the analyzer's way, with no string
    /// made for the word. `word` is the whole word, read only for one longer than a key holds.
    func entry(key: Key, hash: UInt32, word: () -> String) -> Entry? {
        let slot = Int(hash) & (Self.slotCount - 1)
        guard keys[slot] == key else { return nil }
        let entry = slots[slot]
        return key.isWhole || entry.surface == word() ? entry : nil
    }

    /// FNV-1a over the word's bytes. Not for a table that chains (the lexicon's SipHash is):
    /// here a collision costs one lookup in the lexicon.
    private static func slot(_ surface: String) -> Int {
        // Through the bytes in place (a small string's on the stack): iterating the UTF-8
        // view cost ten times as much.
        let hash = surface.utf8.withContiguousStorageIfAvailable(fnv) ?? fnv(Array(surface.utf8))
        return Int(hash) & (slotCount - 1)
    }

    static let hashSeed: UInt32 = 0x811C_9DC5

    /// One byte more of FNV-1a.
    @inline(__always)
    static func hash(_ hash: UInt32, _ byte: UInt8) -> UInt32 { (hash ^ UInt32(byte)) &* 0x0100_0193 }

    private static func fnv(_ bytes: some Collection<UInt8>) -> UInt32 {
        var value = hashSeed
        for byte in bytes { value = hash(value, byte) }
        return value
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
