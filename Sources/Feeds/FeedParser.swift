import Foundation
import XML

/// Where a document came from: the URL it was fetched from (the base for relative links)
/// and the response headers that matter to parsing.
public struct FeedSource: Sendable {
    public var url: String?
    /// Response header fields; names are compared case-insensitively.
    public var headers: [String: String]

    public init(url: String? = nil, headers: [String: String] = [:]) {
        self.url = url
        self.headers = Dictionary(headers.map { ($0.key.lowercased(), $0.value) }, uniquingKeysWith: { _, last in last })
    }

    var contentType: String? { headers["content-type"] }

    /// Content-Location, resolved against the URL, outranks the URL as the document's base.
    var documentBase: String? {
        if let location = headers["content-location"], !location.isEmpty {
            let resolved = URIResolver.resolve(location, against: url)
            // A header must not make links point at javascript: or file: URLs.
            if resolved.lowercased().hasPrefix("http://") || resolved.lowercased().hasPrefix("https://") {
                return resolved
            }
        }
        return url
    }
}

/// Why a document could not be read as a feed at all (a recoverable problem only sets `bozo`).
public enum FeedError: Error, Sendable, Equatable, CustomStringConvertible {
    case empty
    case notAFeed(String)
    case invalidJSON(String)
    /// A file could not be opened or read (with the system's reason).
    case unreadable(String)

    public var description: String {
        switch self {
        case .empty: return "the document is empty"
        case .unreadable(let reason): return "cannot read the file: \(reason)"
        case .notAFeed(let detail): return "not an RSS, Atom or JSON feed (\(detail))"
        case .invalidJSON(let detail): return "invalid JSON Feed: \(detail)"
        }
    }
}

/// Parses RSS 0.90–2.0, RSS 1.0, Atom 0.3/1.0 and JSON Feed 1.0/1.1 from bytes.
///
/// The XML path streams: bytes are decoded to UTF-8, repaired (`XMLRepair`), and pushed to
/// libxml2 in chunks; each entry is built, mapped and handed to `onEntry` as soon as it
/// closes, so memory is bounded by the largest entry, not by the document.
public enum FeedParser {
    /// Parses a whole document and returns it with its entries.
    public static func parse(_ bytes: [UInt8], source: FeedSource = FeedSource()) throws(FeedError) -> FeedDocument {
        var entries: [FeedEntry] = []
        var document = try parse(bytes, source: source) { entries.append($0) }
        document.entries = entries
        return document
    }

    /// Parses a document, handing each entry to `onEntry` as it is read; the returned
    /// document carries the feed-level facts and no entries.
    public static func parse(
        _ bytes: [UInt8], source: FeedSource = FeedSource(), onEntry: (FeedEntry) -> Void
    ) throws(FeedError) -> FeedDocument {
        try parse(bytes, source: source, chunkSize: 256 * 1024, onEntry: onEntry)
    }

    /// `chunkSize` is how many bytes are pushed to libxml2 at a time; the fuzzer makes it small
    /// so that chunk boundaries fall inside every construct.
    package static func parse(
        _ bytes: [UInt8], source: FeedSource, chunkSize: Int, onEntry: (FeedEntry) -> Void
    ) throws(FeedError) -> FeedDocument {
        guard let first = bytes.first(where: { !($0 == 0x20 || $0 == 0x09 || $0 == 0x0A || $0 == 0x0D) }) else {
            throw FeedError.empty
        }
        // A saved `.xml.gz`, or a server sending a compressed file without saying so: libxml2
        // reported "Document is empty".
        if bytes.starts(with: [0x1F, 0x8B]) { throw FeedError.notAFeed("gzip-compressed data: decompress it first") }
        let mediaType = DocumentEncoding.parseContentType(source.contentType).0 ?? ""
        return try withoutControlCharacters(onEntry) { deliver throws(FeedError) in
            if first == UInt8(ascii: "{") || mediaType.hasSuffix("json") {
                try JSONFeedReader.parse(bytes, source: source, onEntry: deliver)
            } else {
                try parseXML(bytes, source: source, chunkSize: max(1, chunkSize), onEntry: deliver)
            }
        }
    }

    /// Every reader's entries and feed facts pass here: control characters (ESC, CSI, C1)
    /// leave them once, whatever the format (CDATA, JSON strings, base64 content) or the input.
    private static func withoutControlCharacters(
        _ onEntry: (FeedEntry) -> Void, _ read: ((consuming FeedEntry) -> Void) throws(FeedError) -> FeedDocument
    ) throws(FeedError) -> FeedDocument {
        // Handed to `read` inside a closure, which the compiler allows only for an escaping
        // callback; it never outlives this call.
        var document = try withoutActuallyEscaping(onEntry) { onEntry throws(FeedError) in
            // The entry is handed over, not borrowed: made a `var` here it is moved, not
            // copied (a copy retained and released every string of every entry).
            try read { (entry: consuming FeedEntry) in
                var entry = entry
                entry.removeControlCharacters()
                onEntry(entry)
            }
        }
        document.feed = document.feed.withoutControlCharacters()
        return document
    }

    /// Parses the feed in a file, handing each entry to `onEntry` as it is read. A UTF-8 XML
    /// file is read twice a chunk at a time (once to check that it is UTF-8, once to parse),
    /// so memory is bounded by the largest entry however large the file; one that fits in the
    /// check's first chunk (1 MiB) is read once and parsed from there; any other file
    /// (another encoding, invalid UTF-8, JSON) is read whole and parsed as
    /// `parse(_:source:onEntry:)` would. Either way the result is the same.
    public static func parse(
        contentsOfFile path: String, source: FeedSource = FeedSource(), onEntry: (FeedEntry) -> Void
    ) throws(FeedError) -> FeedDocument {
        try parse(contentsOfFile: path, source: source, chunkSize: 256 * 1024, onEntry: onEntry)
    }

    package static func parse(
        contentsOfFile path: String, source: FeedSource, chunkSize: Int, onEntry: (FeedEntry) -> Void
    ) throws(FeedError) -> FeedDocument {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        func unreadable() -> FeedError { .unreadable("\(path): \(String(cString: strerror(errno)))") }
        guard descriptor >= 0 else { throw unreadable() }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw unreadable() }
        // A pipe or a device can be read once, from the start: whole.
        guard status.st_mode & S_IFMT == S_IFREG else {
            guard let bytes = readWhole(descriptor) else { throw unreadable() }
            return try parse(bytes, source: source, chunkSize: chunkSize, onEntry: onEntry)
        }
        let chunkSize = max(1, chunkSize)
        // Response headers (a saved response) weigh on the decoding: the in-memory path.
        let preflight = source.headers.isEmpty ? FilePreflight(descriptor: descriptor, fileSize: Int(status.st_size), chunkSize: 4 * min(chunkSize, 1 << 20)) : nil
        guard let preflight, preflight.streamable else {
            guard lseek(descriptor, 0, SEEK_SET) == 0, let bytes = readWhole(descriptor) else { throw unreadable() }
            return try parse(bytes, source: source, chunkSize: chunkSize, onEntry: onEntry)
        }
        guard preflight.size > 0 else { throw FeedError.empty }
        func read(_ input: some DocumentBytes) throws(FeedError) -> FeedDocument {
            var document = try withoutControlCharacters(onEntry) { deliver throws(FeedError) in
                try parseXML(input, source: source, chunkSize: chunkSize, onEntry: deliver)
            }
            document.encoding = "utf-8"
            return document
        }
        if let whole = preflight.whole {
            return try whole.bytes.withUnsafeBufferPointer { buffer throws(FeedError) in
                try read(MemoryBytes(buffer: UnsafeBufferPointer(rebasing: buffer[whole.range])))
            }
        }
        let input = FileBytes(descriptor: descriptor, offset: preflight.bomLength, size: preflight.bomLength + preflight.size)
        let document = try read(input)
        if let failure = input.failure {
            errno = failure
            throw unreadable()
        }
        return document
    }

    /// The rest of a file, from where the descriptor stands.
    private static func readWhole(_ descriptor: Int32) -> [UInt8]? {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let read = chunk.withUnsafeMutableBytes { Foundation.read(descriptor, $0.baseAddress!, $0.count) }
            if read < 0 && errno == EINTR { continue }
            guard read >= 0 else { return nil }
            if read == 0 { return bytes }
            bytes.append(contentsOf: chunk[..<read])
        }
    }

    private static func parseXML(
        _ bytes: [UInt8], source: FeedSource, chunkSize: Int, onEntry: (consuming FeedEntry) -> Void
    ) throws(FeedError) -> FeedDocument {
        let decoded = DocumentEncoding.decode(bytes, contentType: source.contentType, hasHTTPHeaders: !source.headers.isEmpty)
        var document = try decoded.bytes.withUnsafeBufferPointer { buffer throws(FeedError) in
            try parseXML(MemoryBytes(buffer: buffer), source: source, chunkSize: chunkSize, inputProblems: [decoded.problem], onEntry: onEntry)
        }
        document.encoding = decoded.encoding
        return document
    }

    /// Reads UTF-8 `input` (repaired here, attributes bounded by the repair) as RSS or Atom. `inputProblems`
    /// are what decoding and bounding it found, for `bozoReason`.
    private static func parseXML(
        _ input: some DocumentBytes, source: FeedSource, chunkSize: Int, inputProblems: [String?] = [],
        onEntry: (consuming FeedEntry) -> Void
    ) throws(FeedError) -> FeedDocument {
        var document = FeedDocument()

        var reader: FeedReader?
        // The entry callback escapes into the builder but never outlives this call.
        try withoutActuallyEscaping(onEntry) { onEntry throws(FeedError) in
            func makeBuilder() -> TreeBuilder {
                let builder = TreeBuilder(documentBase: source.documentBase) { element in
                    if let reader { onEntry(reader.entry(element)) }
                }
                builder.onRoot = { root in
                    // A resumed reading meets the root again; the first meeting decides.
                    guard reader == nil else { return }
                    let (format, version) = FeedReader.version(ofRoot: root)
                    reader = FeedReader(format: format)
                    document.version = version
                }
                return builder
            }
            let builder = makeBuilder()
            // The root `Element` refers to the builder's tree without owning it: the builder
            // must live until the root is read.
            defer { withExtendedLifetime(builder) {} }
            let parser = XMLStreamParser(handler: builder)
            var repair = XMLRepair(marking: entryNames)
            push(input, 0..<input.count, repairing: &repair, to: parser, chunkSize: chunkSize, endsDocument: true)
            let recovery = resume(after: parser, builder, in: input, marks: repair.marks, chunkSize: chunkSize, makeBuilder: makeBuilder)
            builder.finish()

            guard let root = builder.root else {
                throw FeedError.notAFeed(parser.diagnostics.first?.description ?? "no root element")
            }
            guard let reader else { throw FeedError.notAFeed("no root element") }
            if document.version.isEmpty {
                // A feed's address that now serves its site's page is the commonest case.
                let page = root.name.lowercased() == "html" ? ": a web page, not a feed" : ""
                throw FeedError.notAFeed("the document's root element is <\(root.name)>\(page)")
            }
            document.feed = reader.feedInfo(root: root, contentLanguage: source.headers["content-language"])

            let readingProblems = [
                repair.firstRepair,
                builder.tooDeep || recovery.tooDeep
                    ? "elements nested deeper than \(TreeBuilder.maxDepth) levels were flattened" : nil,
                parser.isWellFormed ? nil : (parser.diagnostics.first?.description ?? "not well-formed"),
            ]
            let problems = ([recovery.reason] + inputProblems + readingProblems).compactMap { $0 }
            document.bozo = !problems.isEmpty
            document.bozoReason = problems.first
        }
        return document
    }

    /// Repairs `input` and pushes it to `parser`, `chunkSize` bytes at a time; libxml2 is told
    /// that the document ends with the last chunk when `endsDocument`.
    private static func push(
        _ input: some DocumentBytes, _ range: Range<Int>, repairing repair: inout XMLRepair, to parser: XMLStreamParser,
        chunkSize: Int, endsDocument: Bool
    ) {
        var repaired = ByteBuffer(capacity: min(chunkSize, range.count) + 64)
        var start = range.lowerBound
        while true {
            var end = start + min(chunkSize, range.upperBound - start)
            var isLast = end == range.upperBound
            repaired.removeAll()
            var used = input.withBytes(in: start..<end) { repair.process($0, isLast: isLast, into: &repaired) }
            // An unfinished construct at the end of a chunk (`&nbs`) is decided once
            // more input is there; `process` left it unconsumed.
            while used == 0 && !isLast {
                end += min(chunkSize, range.upperBound - end)
                isLast = end == range.upperBound
                used = input.withBytes(in: start..<end) { repair.process($0, isLast: isLast, into: &repaired) }
            }
            // A halted libxml2 ignores input; the repair still runs, to mark the later entries.
            if !parser.hasStopped {
                repaired.withUnsafeBufferPointer { parser.parse(UnsafeRawBufferPointer($0), isLast: isLast && endsDocument) }
            }
            start += used
            if isLast { break }
        }
    }

    // MARK: - Resuming after libxml2 stops

    /// The elements a resumed reading may start at (any prefix).
    private static let entryNames = ["item", "entry"]
    /// How many times one document is read again; each reading repeats the rest of the
    /// document, so a feed of broken entries must not cost quadratic time.
    static let maxResumes = 16

    /// What the resumed readings found.
    private struct Recovery {
        /// Why the first reading stopped, naming the entry: for `bozoReason`.
        var reason: String?
        var tooDeep = false
    }

    /// libxml2 stops reading for good on some errors (content after the root element, an
    /// invalid element name): every later entry would be lost. When an entry starts after
    /// the last event libxml2 delivered, a fresh parser reads the prologue (everything before
    /// the first entry, so that the root and its namespaces are known) and then the document
    /// from that entry on; again, a bounded number of times, if it stops again. The entry
    /// libxml2 stopped in is dropped; no other is read twice, since nothing after the last
    /// event was delivered.
    private static func resume(
        after firstParser: XMLStreamParser, _ firstBuilder: TreeBuilder, in input: some DocumentBytes,
        marks: [XMLRepair.Mark], chunkSize: Int, makeBuilder: () -> TreeBuilder
    ) -> Recovery {
        var recovery = Recovery()
        guard let firstEntry = marks.first else { return recovery }
        var parser = firstParser
        var builder = firstBuilder
        var stoppedAt = parser.lastEventOffset
        var entriesBefore = 0
        for _ in 0..<maxResumes {
            // Stopped in the prologue, which every reading repeats: nothing to resume. An entry
            // starting right at the last event's offset (just past an end tag's `>`) was not read.
            guard stoppedAt >= firstEntry.output, let next = marks.first(where: { $0.output >= stoppedAt }) else { break }
            entriesBefore += builder.entriesStarted
            recovery.reason = recovery.reason ?? stopReason(parser, builder, entries: entriesBefore)
            builder.abandonOpenEntry()
            if builder !== firstBuilder { builder.finish() }

            builder = makeBuilder()
            parser = XMLStreamParser(handler: builder)
            var prologueRepair = XMLRepair()
            push(input, 0..<firstEntry.input, repairing: &prologueRepair, to: parser, chunkSize: chunkSize, endsDocument: false)
            var restRepair = XMLRepair()
            push(input, next.input..<input.count, repairing: &restRepair, to: parser, chunkSize: chunkSize, endsDocument: true)
            recovery.tooDeep = recovery.tooDeep || builder.tooDeep
            // The repair is deterministic, so this reading's bytes are the document's bytes
            // before `firstEntry` and from `next` on. At least one byte on: `next` was tried.
            stoppedAt = next.output + max(1, parser.lastEventOffset - firstEntry.output)
        }
        if builder !== firstBuilder { builder.finish() }
        return recovery
    }

    /// "item 3 could not be read: line 9, column 40: StartTag: invalid element name".
    private static func stopReason(_ parser: XMLStreamParser, _ builder: TreeBuilder, entries: Int) -> String {
        let problem = parser.problemAfterLastEvent?.description ?? "libxml2 stopped reading"
        if builder.hasOpenEntry { return "item \(entries) could not be read: \(problem)" }
        if entries == 0 { return "the document could not be read before its first item: \(problem)" }
        return "the document could not be read after item \(entries): \(problem)"
    }
}
