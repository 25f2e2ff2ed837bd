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

    public var description: String {
        switch self {
        case .empty: return "the document is empty"
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
        let mediaType = DocumentEncoding.parseContentType(source.contentType).0 ?? ""
        if first == UInt8(ascii: "{") || mediaType.hasSuffix("json") {
            return try JSONFeedReader.parse(bytes, source: source, onEntry: onEntry)
        }
        return try parseXML(bytes, source: source, chunkSize: max(1, chunkSize), onEntry: onEntry)
    }

    private static func parseXML(
        _ bytes: [UInt8], source: FeedSource, chunkSize: Int, onEntry: (FeedEntry) -> Void
    ) throws(FeedError) -> FeedDocument {
        let decoded = DocumentEncoding.decode(bytes, contentType: source.contentType, hasHTTPHeaders: !source.headers.isEmpty)
        var document = FeedDocument()
        document.encoding = decoded.encoding

        var reader: FeedReader?
        // The entry callback escapes into the builder but never outlives this call.
        try withoutActuallyEscaping(onEntry) { onEntry throws(FeedError) in
            let builder = TreeBuilder(documentBase: source.documentBase) { element in
                if let reader { onEntry(reader.entry(element)) }
            }
            builder.onRoot = { root in
                let (format, version) = FeedReader.version(ofRoot: root)
                reader = FeedReader(format: format)
                document.version = version
            }
            let parser = XMLStreamParser(handler: builder)
            var repair = XMLRepair()
            var repaired: [UInt8] = []
            decoded.bytes.withUnsafeBufferPointer { input in
                var start = 0
                while true {
                    var end = min(input.count, start + chunkSize)
                    var isLast = end == input.count
                    repaired.removeAll(keepingCapacity: true)
                    var used = repair.process(UnsafeBufferPointer(rebasing: input[start..<end]), isLast: isLast, into: &repaired)
                    // An unfinished construct at the end of a chunk (`&nbs`) is decided once
                    // more input is there; `process` left it unconsumed.
                    while used == 0 && !isLast {
                        end = min(input.count, end + chunkSize)
                        isLast = end == input.count
                        used = repair.process(UnsafeBufferPointer(rebasing: input[start..<end]), isLast: isLast, into: &repaired)
                    }
                    repaired.withUnsafeBytes { parser.parse($0, isLast: isLast) }
                    start += used
                    if isLast { break }
                }
            }
            builder.finish()

            guard let root = builder.root else {
                throw FeedError.notAFeed(parser.diagnostics.first?.description ?? "no root element")
            }
            guard let reader else { throw FeedError.notAFeed("no root element") }
            if document.version.isEmpty {
                throw FeedError.notAFeed("the document's root element is <\(root.name)>")
            }
            document.feed = reader.feedInfo(root: root, contentLanguage: source.headers["content-language"])

            let problems = [
                decoded.problem,
                repair.firstRepair,
                builder.tooDeep ? "elements nested deeper than \(TreeBuilder.maxDepth) levels were flattened" : nil,
                parser.isWellFormed ? nil : (parser.diagnostics.first?.description ?? "not well-formed"),
            ].compactMap { $0 }
            document.bozo = !problems.isEmpty
            document.bozoReason = problems.first
        }
        return document
    }
}
