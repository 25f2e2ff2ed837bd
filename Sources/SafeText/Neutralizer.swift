import Foundation

/// Makes text from the outside world safe to show in a terminal, a Markdown file or a log
/// line: characters that could move the cursor, rewrite the screen, set the window title,
/// reverse what a reader sees (bidi overrides) or start a new log line are shown as visible
/// escapes (`\u{1B}`) instead of being acted on.
///
/// A feed, an HTTP server or a hook controls much of what drillwatch prints: titles, error
/// texts, header values. One function, used by every table, Markdown writer and log
/// formatter, means no place can forget.
public enum Neutralizer {
    public enum Mode: Sendable {
        /// One line: newlines and tabs are escaped too (table cells, log values).
        case line
        /// Prose: newlines and tabs are kept (Markdown bodies, `inspect` text).
        case text
    }

    /// `text` with every control, C1 and bidi formatting character escaped.
    public static func escape(_ text: String, _ mode: Mode = .line) -> String {
        guard text.unicodeScalars.contains(where: { needsEscape($0, mode) }) else { return text }
        var result = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if needsEscape(scalar, mode) {
                result.append(contentsOf: visible(scalar).unicodeScalars)
            } else {
                result.append(scalar)
            }
        }
        return String(result)
    }

    /// Whether `scalar` is one that `escape` makes visible.
    public static func needsEscape(_ scalar: Unicode.Scalar, _ mode: Mode = .line) -> Bool {
        switch scalar.value {
        case 0x0A, 0x09: return mode == .line
        case 0x00...0x1F, 0x7F...0x9F: return true  // C0, DEL, C1 (0x9B is a one-byte CSI)
        case 0x061C, 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: return true  // bidi marks, embeddings, overrides, isolates
        case 0x2028, 0x2029: return true  // line and paragraph separators: a new line to some readers
        default: return false
        }
    }

    private static func visible(_ scalar: Unicode.Scalar) -> String {
        switch scalar {
        case "\n": return "\\n"
        case "\t": return "\\t"
        case "\r": return "\\r"
        default: return "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
        }
    }
}

/// Text for a person: credentials masked, controls escaped. What every human-facing output
/// of drillwatch (tables, Markdown, logs) passes its outside-world text through.
public enum Display {
    /// A table cell or a log value: one line.
    public static func line(_ text: String) -> String {
        Neutralizer.escape(Redaction.urls(in: text), .line)
    }

    /// A paragraph or more (line breaks kept).
    public static func text(_ text: String) -> String {
        Neutralizer.escape(Redaction.urls(in: text), .text)
    }
}

extension Display {
    /// A `key=value` log value: displayed as a line, and quoted (with `\"` and `\\`) when it
    /// is empty or holds a space, `=` or a quote — so that no value can pose as another pair.
    public static func logValue(_ text: String) -> String {
        let shown = line(text)
        let needsQuotes = shown.isEmpty || shown.contains(where: { $0 == " " || $0 == "=" || $0 == "\"" || $0 == "\\" })
        guard needsQuotes else { return shown }
        return "\"" + shown.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}
