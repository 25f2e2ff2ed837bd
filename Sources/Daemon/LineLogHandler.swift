import Foundation
import Logging
import SafeText

/// The daemon's log lines: `2026-12-04T17:00:00Z warning drillwatch: feed failed feed.name=tass
/// error="…"`, one line an event, written with one `write` so lines never interleave.
///
/// Messages and values come partly from the outside world (a server's error text, a header,
/// a hook's standard error): each passes through `Display` — credentials masked, control, C1
/// and bidi characters escaped — and a value is quoted when it holds a space, `=` or a quote,
/// so that nothing a server sends can end a line or forge a `key=value` pair.
public struct LineLogHandler: LogHandler {
    /// `text` for people and the journal; `json`, one object a line, for log shippers.
    public enum Format: String, Sendable, CaseIterable {
        case text, json
    }

    public var logLevel: Logger.Level = .info
    public var format: Format = .text
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private let write: @Sendable (String) -> Void

    public init(label: String, write: @escaping @Sendable (String) -> Void = LineLogHandler.standardError) {
        self.label = label
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        switch format {
        case .text: write(Self.format(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged))
        case .json: write(Self.json(time: Date(), level: event.level, label: label, message: "\(event.message)", metadata: merged))
        }
    }

    /// One log line, without its newline.
    public static func format(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var line = "\(timestamp(time)) \(level) \(label): \(Display.line(message))"
        for key in metadata.keys.sorted() {
            line += " \(Display.line(key))=\(Display.logValue(render(metadata[key]!)))"
        }
        return line
    }

    /// One JSON object, without its newline: `time`, `level`, `label`, `message`, then the
    /// metadata keys (a key of the same name as those four is prefixed `meta.`). Values pass
    /// through `Display`, as in text lines; JSON's escaping keeps them on one line.
    public static func json(time: Date, level: Logger.Level, label: String, message: String, metadata: Logger.Metadata) -> String {
        var object: [String: String] = ["time": timestamp(time), "level": level.rawValue, "label": label, "message": Display.line(message)]
        for (key, value) in metadata {
            object[object[key] == nil ? key : "meta." + key] = Display.line(render(value))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(object)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }

    private static func render(_ value: Logger.MetadataValue) -> String {
        switch value {
        case .string(let text): return text
        case .stringConvertible(let convertible): return convertible.description
        case .array(let values): return values.map(render).joined(separator: ",")
        case .dictionary(let values): return values.keys.sorted().map { "\($0):\(render(values[$0]!))" }.joined(separator: ",")
        }
    }

    private static func timestamp(_ date: Date) -> String {
        date.formatted(.iso8601)
    }

    public static let standardError: @Sendable (String) -> Void = { line in
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }
}
