import Foundation
import XML

/// The bytes of a document, read a range at a time: from memory, or from a file with `pread`,
/// so that parsing a file never holds more of it than one chunk.
protocol DocumentBytes {
    var count: Int { get }
    /// Calls `body` with the bytes in `range` (within `0..<count`); they are valid only
    /// during the call.
    func withBytes<R>(in range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R
}

struct MemoryBytes: DocumentBytes {
    let buffer: UnsafeBufferPointer<UInt8>
    var count: Int { buffer.count }

    func withBytes<R>(in range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        body(UnsafeBufferPointer(rebasing: buffer[range]))
    }
}

/// A regular file's bytes from `offset` on (past a byte-order mark), read with `pread` into one
/// buffer that is reused. The file is expected not to change while it is read; if it shrinks,
/// the missing bytes read as spaces (an unfinished document, which the parser reports as one).
final class FileBytes: DocumentBytes {
    private let descriptor: Int32
    private let offset: Int
    let count: Int
    private var buffer: [UInt8] = []
    /// The `errno` of the first read that failed: the caller reports the file unreadable.
    private(set) var failure: Int32?

    init(descriptor: Int32, offset: Int, size: Int) {
        self.descriptor = descriptor
        self.offset = offset
        count = max(0, size - offset)
    }

    func withBytes<R>(in range: Range<Int>, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if buffer.count < range.count { buffer = .uninitialized(count: range.count) }
        return buffer.withUnsafeMutableBufferPointer { storage in
            var filled = 0
            while filled < range.count {
                let read = pread(descriptor, storage.baseAddress! + filled, range.count - filled,
                                 off_t(offset + range.lowerBound + filled))
                if read > 0 {
                    filled += read
                } else if read < 0 && errno == EINTR {
                    continue
                } else {
                    if read < 0 && failure == nil { failure = errno }
                    break
                }
            }
            for index in filled..<range.count { storage[index] = 0x20 }
            return body(UnsafeBufferPointer(rebasing: storage[..<range.count]))
        }
    }
}

extension Array where Element == UInt8 {
    /// A buffer of `count` bytes that is about to be read into: not zeroed first (a `memset`
    /// of every buffer was a tenth of checking a small file).
    static func uninitialized(count: Int) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: count) { _, initialized in initialized = count }
    }
}

/// What one pass over a file tells before it is parsed a chunk at a time: whether it can be
/// (UTF-8 throughout, not JSON), and where its bytes begin. Only the encoding needs the whole
/// file seen first: invalid UTF-8 makes the document decoded another way from its start.
struct FilePreflight {
    /// Set when the file can be parsed from the file, chunk by chunk.
    private(set) var streamable = true
    private(set) var bomLength = 0
    private(set) var size = 0
    /// The whole file, when one read gave all of it (a file smaller than a chunk: nearly every
    /// feed), and where its bytes begin past the byte-order mark. Parsing reads these instead of
    /// the file a second time.
    private(set) var whole: (bytes: [UInt8], range: Range<Int>)?

    /// Reads the file from its start, `chunkSize` bytes at a time (no more than the file holds:
    /// `fileSize` as `fstat` gave it, so a small file does not cost a large buffer).
    init(descriptor: Int32, fileSize: Int, chunkSize: Int = 1 << 20) {
        let chunkSize = max(4, min(chunkSize, fileSize + 1))
        // The head decides first: the declaration may take up to 1 KiB, whatever the chunk.
        var head = [UInt8](repeating: 0, count: 1024)
        let headCount = head.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress!, $0.count, 0) }
        guard headCount > 0, examineHead(Array(head[..<headCount])) else {
            streamable = false
            return
        }
        var validator = UTF8Validation.Stream()
        var buffer = [UInt8].uninitialized(count: chunkSize)
        var first = true
        while true {
            let read = buffer.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress!, chunkSize) }
            if read < 0 && errno == EINTR { continue }
            guard read > 0 else {
                if read < 0 { streamable = false }
                break
            }
            let start = first ? min(bomLength, read) : 0
            size += read - start
            guard validator.feed(buffer[start..<read]) else { streamable = false; return }
            if first && read == fileSize && Self.endsAt(fileSize, descriptor) {
                if !validator.isComplete { streamable = false }
                whole = (buffer, start..<read)
                return
            }
            first = false
        }
        if !validator.isComplete { streamable = false }
    }

    /// Whether the file ends at `offset` (it did not grow since `fstat`).
    private static func endsAt(_ offset: Int, _ descriptor: Int32) -> Bool {
        var probe: UInt8 = 0
        return pread(descriptor, &probe, 1, off_t(offset)) == 0
    }

    /// The file's first bytes: JSON, a byte-order mark or a declaration that is not UTF-8
    /// all take the in-memory path, which knows every encoding.
    private mutating func examineHead(_ head: [UInt8]) -> Bool {
        let (bom, length) = DocumentEncoding.sniff(head)
        bomLength = length
        let declared = DocumentEncoding.declaredEncoding(head, sniffed: bom).map(DocumentEncoding.canonical)
        let firstByte = head.dropFirst(length).first { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }
        streamable = (bom ?? "utf-8") == "utf-8" && (declared ?? "utf-8") == "utf-8" && firstByte == UInt8(ascii: "<")
        return streamable
    }
}
