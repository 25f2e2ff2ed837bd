import Classifier
import Foundation

/// The corpus on disk: a folder of `.txt` and `.md` documents (see `CorpusDocument.parse`).
public struct CorpusStore: Sendable {
    public let folder: URL

    public init(folder: URL) {
        self.folder = folder
    }

    /// Every document, in file-name order. A missing folder is an error (a typo in the config
    /// must not silently leave drillwatch without its reference articles).
    public func load() throws(PipelineError) -> [CorpusDocument] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder.path) else {
            throw PipelineError.corpusMissing(folder.path)
        }
        return names.filter { $0.hasSuffix(".txt") || $0.hasSuffix(".md") || $0.hasSuffix(".markdown") }
            .sorted()
            .compactMap { name -> CorpusDocument? in
                guard let data = FileManager.default.contents(atPath: folder.appendingPathComponent(name).path) else { return nil }
                let id = (name as NSString).deletingPathExtension
                return CorpusDocument.parse(id: id, text: String(decoding: data, as: UTF8.self))
            }
    }

    /// Adds a document: written as Markdown with front matter, under a name derived from its
    /// title, never overwriting an existing file. Returns the new document's id.
    public func add(title: String?, url: String?, date: String?, body: String) throws(PipelineError) -> String {
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
        text += "---\n\n" + body + "\n"
        let target = folder.appendingPathComponent(id + ".md")
        do {
            try Data(text.utf8).write(to: target, options: .atomic)
        } catch {
            throw PipelineError.cannotWrite(target.path, error.localizedDescription)
        }
        return id
    }

    static func slug(_ text: String) -> String {
        let folded = text.lowercased().unicodeScalars.map { $0.properties.isAlphabetic || ("0"..."9").contains($0) ? Character($0) : "-" }
        let collapsed = String(folded).split(separator: "-").joined(separator: "-")
        return String(collapsed.prefix(60)).isEmpty ? "document" : String(collapsed.prefix(60))
    }

    private static func frontMatterValue(_ value: String) -> String {
        "\"" + value.replacingOccurrences(of: "\"", with: "'").replacingOccurrences(of: "\n", with: " ") + "\""
    }
}

/// Failures of a use case, each a sentence a user can act on.
public enum PipelineError: Error, Sendable, CustomStringConvertible {
    case corpusMissing(String)
    case cannotRead(String, String)
    case cannotWrite(String, String)
    case invalidInput(String, line: Int?, String)
    case configuration(String)
    /// The state database could not be read or written (locked, disk full, damaged).
    case state(String)

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
        case .state(let text):
            return text
        }
    }
}
