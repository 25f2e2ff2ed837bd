import Foundation

/// A JSON value with ordered object keys, so output is stable and reads in a natural order.
public indirect enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.serialised() == rhs.serialised()
    }

    public static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
    public static func optional(_ date: Date?) -> JSONValue { date.map { .string(FeedDate.format($0)) } ?? .null }

    public func serialised(pretty: Bool = false) -> String {
        var out = ""
        write(into: &out, pretty: pretty, indent: 0)
        return out
    }

    private func write(into out: inout String, pretty: Bool, indent: Int) {
        let newline = pretty ? "\n" + String(repeating: "  ", count: indent + 1) : ""
        let close = pretty ? "\n" + String(repeating: "  ", count: indent) : ""
        switch self {
        case .null: out += "null"
        case .bool(let value): out += value ? "true" : "false"
        case .number(let value):
            out += value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(value)
        case .string(let value): JSONValue.writeString(value, into: &out)
        case .array(let values):
            guard !values.isEmpty else { out += "[]"; return }
            out += "["
            for (index, value) in values.enumerated() {
                out += (index > 0 ? "," : "") + newline
                value.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            out += close + "]"
        case .object(let pairs):
            guard !pairs.isEmpty else { out += "{}"; return }
            out += "{"
            for (index, (key, value)) in pairs.enumerated() {
                out += (index > 0 ? "," : "") + newline
                JSONValue.writeString(key, into: &out)
                out += pretty ? ": " : ":"
                value.write(into: &out, pretty: pretty, indent: indent + 1)
            }
            out += close + "}"
        }
    }

    private static func writeString(_ value: String, into out: inout String) {
        out += "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                out += String(format: "\\u%04x", scalar.value)
            default: out.unicodeScalars.append(scalar)
            }
        }
        out += "\""
    }
}

extension FeedDocument {
    /// The document in the vocabulary of feedparser's test suite (and of
    /// `shared/conformance`): `bozo`, `encoding`, `version`, `feed`, `entries`.
    public var json: JSONValue {
        .object([
            ("bozo", .bool(bozo)),
            ("bozo_exception", .optional(bozoReason)),
            ("encoding", .string(encoding)),
            ("version", .string(version)),
            ("feed", .object([
                ("title", .optional(feed.title)),
                ("link", .optional(feed.link)),
                ("subtitle", .optional(feed.subtitle)),
                ("language", .optional(feed.language)),
                ("updated", .optional(feed.updated)),
            ])),
            ("entries", .array(entries.map(\.json))),
        ])
    }
}

extension FeedEntry {
    public var json: JSONValue {
        .object([
            ("title", .optional(title)),
            ("link", .optional(link)),
            ("id", .optional(id)),
            ("summary", .optional(summary)),
            ("content", .optional(content)),
            ("published", .optional(published)),
            ("updated", .optional(updated)),
            ("author", .optional(author)),
            ("enclosures", .array(enclosures.map { .object([("url", .string($0))]) })),
            ("text", .string(text)),
            ("key", .string(key)),
        ])
    }
}
