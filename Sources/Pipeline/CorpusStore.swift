import Classifier
import LocalFiles
import Foundation
import Store

/// The corpus on disk: a folder of `.txt` and `.md` documents (see `CorpusDocument.parse`).
public struct CorpusStore: Sendable {
    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    /// How much of a corpus document is read. An article is a few kilobytes; a 200 MB file
    /// made every command take a minute and 2.9 GB, read whole at each start.
    public static let maxDocumentBytes = 1 << 20

    /// Every document, in file-name order. A missing folder is an error (a typo in the config
    /// must not silently leave drillwatch without its reference articles). A file too large is
    /// cut, and one that is empty or not text is skipped; each is reported to `warn`.
    public func load(warn: (CorpusWarning) -> Void = CorpusWarning.printToStandardError) throws(PipelineError) -> [CorpusDocument] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw PipelineError.corpusMissing(folder.path)
        }
        return names.filter { $0.hasSuffix(".txt") || $0.hasSuffix(".md") || $0.hasSuffix(".markdown") }
            .sorted()
            .compactMap { document($0, warn: warn) }
    }

    /// The document in file `name`, or nil (with a warning) when there is none to use.
    private func document(_ name: String, warn: (CorpusWarning) -> Void) -> CorpusDocument? {
        let path = folder.appendingPathComponent(name).path
        func skip(_ reason: String) -> CorpusDocument? {
            warn(CorpusWarning(file: path, message: "skipped: \(reason)"))
            return nil
        }
        // `LocalFile` refuses a named pipe without waiting on it: it blocked the load (every
        // command's start) until something wrote to it.
        let handle: FileHandle
        do { handle = try LocalFile.open(atPath: path) } catch { return skip(error.reason) }
        guard let (bytes, size) = Self.head(of: handle, limit: Self.maxDocumentBytes) else { return skip("it cannot be read") }
        if size > Self.maxDocumentBytes {
            warn(CorpusWarning(file: path, message: "only its first \(Self.mebibytes(Self.maxDocumentBytes)) is read (the file has "
                + "\(Self.mebibytes(size))); a corpus document should be one article"))
        }
        guard !bytes.contains(0), let text = String(validating: bytes, as: UTF8.self) else {
            return skip("it is not text (NUL bytes or not UTF-8); save it as UTF-8 text or remove it")
        }
        let document = CorpusDocument.parse(id: (name as NSString).deletingPathExtension, text: text)
        guard document.title != nil || !document.body.isEmpty else { return skip("it holds no text") }
        return document
    }

    /// The open file's first bytes, at most `limit`, cut where a UTF-8 character starts; and
    /// the file's size. Never reads the rest of the file; closes it.
    static func head(of handle: FileHandle, limit: Int) -> (bytes: [UInt8], size: Int)? {
        defer { try? handle.close() }
        let size: UInt64, data: Data?
        do {
            size = try handle.seekToEnd()
            try handle.seek(toOffset: 0)
            data = try handle.read(upToCount: limit)  // nil at the end of the file: an empty one
        } catch {
            return nil
        }
        var bytes = [UInt8](data ?? Data())
        if Int(size) > limit { bytes.removeLast(incompleteCharacterLength(bytes)) }
        return (bytes, Int(size))
    }

    /// How many bytes at the end of `bytes` are an incomplete UTF-8 character (0 when the last
    /// one is whole, or when the bytes are not UTF-8 at all, which is found later).
    static func incompleteCharacterLength(_ bytes: [UInt8]) -> Int {
        // A character is a lead byte and up to three continuation bytes (10xxxxxx).
        guard let lead = bytes.indices.reversed().prefix(4).first(where: { bytes[$0] & 0xC0 != 0x80 }) else { return 0 }
        let tail = bytes.count - lead
        let expected = switch bytes[lead] {
        case 0xF0...: 4
        case 0xE0...: 3
        case 0xC0...: 2
        default: 1
        }
        return tail < expected ? tail : 0
    }

    private static func mebibytes(_ bytes: Int) -> String {
        bytes % (1 << 20) == 0 ? "\(bytes >> 20) MiB" : String(format: "%.1f MiB", Double(bytes) / Double(1 << 20))
    }

    /// Fewer words than this make no useful corpus article: too few terms to compare with.
    public static let minimumWords = 20

    /// Adds a document: written as Markdown with front matter, under a name derived from its
    /// title, never overwriting an existing file. Returns the new document's id. A body of
    /// fewer than `minimumWords` words is refused, named by `source`.
    public func add(title: String?, url: String?, date: String?, exercise: String? = nil, body: String,
                    source: String) throws(PipelineError) -> String {
        let words = Self.words(body)
        guard words.count >= Self.minimumWords else {
            throw PipelineError.invalidInput(source, line: nil, "too little text to be a corpus article (fewer than \(Self.minimumWords) words)")
        }
        // The same article twice (added again, or from its page and its saved file) would
        // name one reference twice in every "similar to" list.
        if let same = ((try? load(warn: { _ in })) ?? []).first(where: { Self.words($0.body) == words }) {
            throw PipelineError.invalidInput(source, line: nil, "the corpus has this article already, as \(same.id)")
        }
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let base = Self.slug(title ?? url ?? "document")
        var id = base
        var counter = 2
        while FileManager.default.fileExists(atPath: folder.appendingPathComponent(id + ".md").path)
                || FileManager.default.fileExists(atPath: folder.appendingPathComponent(id + ".txt").path) {
            id = "\(base)-\(counter)"
            counter += 1
        }
        var text = "---\n"
        if let title { text += "title: \(Self.frontMatterValue(title))\n" }
        if let date { text += "date: \(Self.frontMatterValue(date))\n" }
        if let url { text += "url: \(Self.frontMatterValue(url))\n" }
        if let exercise { text += "exercise: \(Self.frontMatterValue(exercise))\n" }
        text += "---\n\n" + body + "\n"
        let target = folder.appendingPathComponent(id + ".md")
        do {
            try Data(text.utf8).write(to: target, options: .atomic)
        } catch {
            throw PipelineError.cannotWrite(target.path, error.localizedDescription)
        }
        return id
    }

    /// A text's words, for telling two copies of one article apart from two articles: spacing
    /// and line breaks are not the article.
    static func words(_ text: String) -> [Substring] {
        text.split(whereSeparator: \.isWhitespace)
    }

    /// "Joint Sea-2025" → "joint-sea-2025": lower case, runs of other characters as one
    /// hyphen, at most 60 characters ("document" when nothing is left).
    public static func slug(_ text: String) -> String {
        let folded = text.lowercased().unicodeScalars.map { $0.properties.isAlphabetic || ("0"..."9").contains($0) ? Character($0) : "-" }
        let collapsed = String(folded).split(separator: "-").joined(separator: "-")
        return String(collapsed.prefix(60)).isEmpty ? "document" : String(collapsed.prefix(60))
    }

    private static func frontMatterValue(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ") + "\""
    }
}

/// A corpus file that was cut or skipped, said compiler-style: `corpus/big.md: warning: …`.
public struct CorpusWarning: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var message: String
    public var description: String { "\(file): warning: \(message)" }

    /// The default for commands: a line on standard error, beside their errors.
    public static func printToStandardError(_ warning: CorpusWarning) {
        FileHandle.standardError.write(Data("\(warning)\n".utf8))
    }
}

/// Failures of a use case, each a sentence a user can act on.
public enum PipelineError: Error, Sendable, CustomStringConvertible {
    case corpusMissing(String)
    case cannotRead(String, String)
    case cannotWrite(String, String)
    case invalidInput(String, line: Int?, String)
    case configuration(String)
    /// The state database could not be read or written (locked, disk full, damaged), while
    /// working on `feed` when there was one.
    case state(StoreError, feed: String? = nil)

    public var description: String {
        switch self {
        case .corpusMissing(let path):
            return "corpus folder \(path) does not exist (set [corpus] path in the configuration)"
        case .cannotRead(let path, let reason):
            return "\(path): cannot be read (\(reason))"
        case .cannotWrite(let path, let reason):
            return "\(path): cannot be written (\(reason))"
        case .invalidInput(let source, let line, let reason):
            return line.map { "\(source):\($0): \(reason)" } ?? "\(source): \(reason)"
        case .configuration(let text):
            return text
        case .state(let error, let feed):
            return (feed.map { "feed \($0): " } ?? "") + error.description
        }
    }
}
