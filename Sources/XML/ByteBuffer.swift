/// A growable run of bytes for the parsing passes that copy text a few dozen bytes at a time
/// (the repair, the element tree, HTML to text).
///
/// Why not `[UInt8]`: `append(contentsOf:)` of a buffer pointer goes through the generic
/// sequence path (a uniqueness check, a copy loop set up for any sequence) at some 120
/// instructions a call, and the 200-feed benchmark makes 880,000 such calls for runs of 15
/// bytes on average: that was a sixth of parsing beside libxml2's own work. Here an append is a
/// capacity test and a `memcpy`.
///
/// Non-copyable: the storage has one owner, freed in `deinit`, so no copy can outlive it or
/// write to it behind the owner's back.
///
/// The appends are `@inlinable`: they are called from the Feeds module's tree for every piece
/// of text libxml2 hands over, and a call across modules cost as much as the copy.
public struct ByteBuffer: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt8>
    @usableFromInline var capacity: Int
    @usableFromInline var storedCount = 0

    public var count: Int { storedCount }

    public init(capacity: Int = 64) {
        self.capacity = max(16, capacity)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    public var isEmpty: Bool { storedCount == 0 }
    public var last: UInt8? { storedCount == 0 ? nil : base[storedCount - 1] }

    public subscript(index: Int) -> UInt8 {
        precondition(index >= 0 && index < count, "ByteBuffer index out of range")
        return base[index]
    }

    @inlinable @inline(__always)
    public mutating func append(_ byte: UInt8) {
        if storedCount == capacity { grow(toHold: storedCount + 1) }
        base[storedCount] = byte
        storedCount += 1
    }

    @inlinable @inline(__always)
    public mutating func append(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let source = bytes.baseAddress else { return }
        if capacity - storedCount < bytes.count { grow(toHold: storedCount + bytes.count) }
        UnsafeMutableRawPointer(base + storedCount).copyMemory(from: source, byteCount: bytes.count)
        storedCount += bytes.count
    }

    public mutating func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    /// A literal's UTF-8, from where the binary holds it: no array made.
    @inlinable
    public mutating func append(_ text: StaticString) {
        append(UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    public mutating func reserveCapacity(_ minimum: Int) {
        if minimum > capacity { grow(toHold: minimum) }
    }

    /// Forgets the last `k` bytes (the storage is kept).
    public mutating func removeLast(_ k: Int = 1) {
        precondition(k >= 0 && k <= storedCount, "ByteBuffer.removeLast beyond its start")
        storedCount -= k
    }

    /// Forgets the bytes from `newCount` on (the storage is kept).
    public mutating func truncate(to newCount: Int) {
        precondition(newCount >= 0 && newCount <= storedCount, "ByteBuffer.truncate beyond its end")
        storedCount = newCount
    }

    public mutating func removeAll() { storedCount = 0 }

    /// The bytes, valid only during `body`.
    public func withUnsafeBufferPointer<R, E: Error>(_ body: (UnsafeBufferPointer<UInt8>) throws(E) -> R) throws(E) -> R {
        try body(UnsafeBufferPointer(start: base, count: count))
    }

    /// A copy of the bytes, for tests and error messages.
    public var bytes: [UInt8] { Array(UnsafeBufferPointer(start: base, count: count)) }

    /// Doubles the storage (at least to `needed`), keeping the bytes.
    @usableFromInline
    mutating func grow(toHold needed: Int) {
        let newCapacity = max(needed, capacity * 2)
        let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
        newBase.update(from: base, count: count)
        base.deallocate()
        base = newBase
        capacity = newCapacity
    }
}
